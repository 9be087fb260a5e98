#!/usr/bin/env bash
# Submits one party's side of a Veil job (any operator: the spec says which) to YARN. Each party
# runs this on its own cluster, with the same spec file and the same period, at about the same time
# (within the spec's peerTimeoutMs).
#
#   ./submit-yarn.sh [PERIOD]          e.g. ./submit-yarn.sh 2026-11
#
# Exit code: spark-submit waits for the application (spark.yarn.submit.waitAppCompletion, true by
# default) and fails if the job failed, so a scheduler can retry. Re-running a finished period
# returns the result its receipt records, without recomputing or sending anything; if this party's
# input has changed since, the run fails and says to use a new period (e.g. 2026-11.r2).
# In cluster mode the job's summary (or its one JSON line with --output json) and any error
# message are in the driver container's logs, not on this terminal:
# `yarn logs -applicationId <id> -log_files stdout,stderr`.
#
# Edit the settings below, or override them from the environment (PARTY=bank_b ./submit-yarn.sh).
set -euo pipefail

MASTER="${MASTER:-yarn}"
PARTY="${PARTY:-bank_a}"
VEIL_VERSION="${VEIL_VERSION:-0.1.0-SNAPSHOT}"
VEIL_JAR="${VEIL_JAR:-/opt/veil/veil-psi-jobs-${VEIL_VERSION}.jar}"
SPEC="${SPEC:-/etc/veil/psi.yaml}"
KEY_FILE="${KEY_FILE:-/etc/veil/${PARTY}.key}"                    # from `veil keygen`; mode 0400
POLICY="${POLICY:-/etc/veil/policy-${PARTY}.yaml}"
KAFKA_PROPERTIES="${KAFKA_PROPERTIES:-/etc/veil/client-sasl-scram.properties}"  # secrets; mode 0600
KAFKA_TRUSTSTORE="${KAFKA_TRUSTSTORE:-/etc/veil/kafka.truststore.p12}"
BOOTSTRAP_SERVERS="${BOOTSTRAP_SERVERS:-kafka-1.example.net:9093,kafka-2.example.net:9093}"
KAFKA_SECURITY_PROTOCOL="${KAFKA_SECURITY_PROTOCOL:-SASL_SSL}"
TOPIC_PREFIX="${TOPIC_PREFIX:-veil.bank_a-bank_b.}"                # the same at every party of the job
REPLICATION_FACTOR="${REPLICATION_FACTOR:-3}"
# In cluster mode the driver runs in a YARN container, whose working directory is deleted when the
# application ends. So the receipt ledger goes on HDFS (append + hsync under the HDFS lease: the same
# hash chain, signatures and `veil verify` as a local file; hdfs:/// means the cluster's default name
# node), or on storage every node mounts. With DEPLOY_MODE=client a local path on this edge node works
# too. Object stores (s3a://, gs://, abfs:// without append) cannot hold it: Veil refuses them before
# the job starts. With a chain (veil.chain.*), keep the ledger at a local path (client mode).
LEDGER="${LEDGER:-hdfs:///veil/ledger/${PARTY}.jsonl}"
DEPLOY_MODE="${DEPLOY_MODE:-cluster}"
QUEUE="${QUEUE:-default}"
# Veil needs Java 17. If the cluster's NodeManagers default to an older Java, point the driver and the
# executors at a Java 17 installed at the same path on every node (leave empty to use the default).
JAVA17_HOME="${JAVA17_HOME:-}"
PERIOD="${1:-}"

# --files copies these files into the application's YARN staging directory (in the submitting
# user's HDFS home, readable by that user only, deleted when the application ends) and from there
# into the working directory of the driver and of every executor. Inside the application they are
# therefore named by their bare file names, which is what the job arguments below use. The key
# file is found on executors in the same way, by name (io.veil.spark.KeyRef falls back to
# SparkFiles). If you would rather not copy the key through HDFS, install it at the same absolute
# path on every node and pass that path to --key instead of shipping it.
files="${KEY_FILE},${POLICY},${SPEC},${KAFKA_PROPERTIES},${KAFKA_TRUSTSTORE}"

args=(run
  --spec "$(basename "$SPEC")"
  --party "$PARTY"
  --key "$(basename "$KEY_FILE")"
  --policy "$(basename "$POLICY")"
  --ledger "$LEDGER"
  --conf "veil.channel.bootstrap.servers=${BOOTSTRAP_SERVERS}"
  --conf "veil.channel.topic.prefix=${TOPIC_PREFIX}"
  --conf "veil.channel.replication.factor=${REPLICATION_FACTOR}"
  --conf "veil.channel.kafka.security.protocol=${KAFKA_SECURITY_PROTOCOL}"
  --conf "veil.channel.kafka.sasl.mechanism=SCRAM-SHA-512"
  --conf "veil.channel.kafka.properties.file=$(basename "$KAFKA_PROPERTIES")")
if [[ -n "$PERIOD" ]]; then
  args+=(--period "$PERIOD")
fi

# Options before the jar are spark-submit's. Everything after the jar goes to the Veil CLI: its
# --conf takes veil.* keys without the spark. prefix (spark-submit --conf spark.veil.* works too).
# No Java 17 --add-opens flags are needed: spark-submit adds them (see spark-defaults.conf.template).
job="$(basename "$SPEC" .yaml)"
java_home=()
if [[ -n "$JAVA17_HOME" ]]; then
  java_home=(--conf "spark.yarn.appMasterEnv.JAVA_HOME=${JAVA17_HOME}" --conf "spark.executorEnv.JAVA_HOME=${JAVA17_HOME}")
fi

exec spark-submit \
  --master "$MASTER" \
  --deploy-mode "$DEPLOY_MODE" \
  --queue "$QUEUE" \
  --name "veil-${job}-${PARTY}${PERIOD:+-$PERIOD}" \
  --class io.veil.jobs.VeilCli \
  --files "$files" \
  --driver-memory 2g \
  --executor-memory 4g \
  --executor-cores 4 \
  --num-executors 8 \
  --conf spark.yarn.maxAppAttempts=1 \
  --conf spark.serializer=org.apache.spark.serializer.KryoSerializer \
  --conf spark.sql.shuffle.partitions=200 \
  ${java_home[@]+"${java_home[@]}"} \
  "$VEIL_JAR" \
  "${args[@]}"
