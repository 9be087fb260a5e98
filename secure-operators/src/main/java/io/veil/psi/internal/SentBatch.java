package io.veil.psi.internal;

import java.io.Serializable;

/**
 * A batch this party wrote, as remembered after the write: position, size, digest of the framed
 * record, and optionally what each element stands for locally (PSI: the normalised key of each
 * blinded element, for mapping answers back) or the elements themselves.
 */
public record SentBatch(int partition, int seq, int count, byte[] digest, byte[][] locals)
    implements Serializable {}
