/**
 * Implementation of the Kafka channel: client properties, topic administration, the shared
 * producer cache, control transport, stream writer, reader and follower, and the error messages.
 * Not API: may change without notice; other modules must not import it.
 */
package io.veil.connectors.kafka.internal;
