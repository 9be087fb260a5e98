/**
 * The Kafka channel between parties: {@link io.veil.connectors.kafka.KafkaChannel} (control logs
 * and partitioned data streams over Kafka topics), its options
 * ({@link io.veil.connectors.kafka.KafkaChannelConfig}), and
 * {@link io.veil.connectors.kafka.EmbeddedKafkaBroker}, a single-node KRaft broker on loopback for
 * running every party on one machine.
 *
 * <p>Everything else lives in {@code io.veil.connectors.kafka.internal}, which is not API.
 */
package io.veil.connectors.kafka;
