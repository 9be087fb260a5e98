package io.veil.spec;

import io.veil.crypto.IdentityPublicKey;

/**
 * A party of the job.
 *
 * @param id party id: lower-case letters, digits, '_' or '-'
 * @param publicKey the party's pinned Ed25519 identity key
 * @param input its input (null for a party that only receives results)
 * @param output where it writes its output (null: no output written)
 */
public record PartySpec(String id, IdentityPublicKey publicKey, InputSpec input, OutputSpec output) {}
