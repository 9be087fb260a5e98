/**
 * Oblivious transfer and the OT-extension OPRF behind Veil's OPRF-based PSI (KKRT16). Plain Java:
 * no Spark, Kafka or web3j; BouncyCastle and the JDK's AES and SHA-2 only.
 *
 * <p><b>Flow of one PSI job</b> (R = PSI receiver, S = PSI sender; semi-honest parties):
 * <ol>
 *   <li>Base OTs, once per job ({@link io.veil.crypto.ot.BaseOt}): R is the OT sender of {@value
 *       io.veil.crypto.ot.KkrtOprf#BASE_OT_COUNT} random OTs, S the OT receiver with random choice
 *       bits s. Messages: 33 bytes S &lt;- R, 512 x 33 bytes S -&gt; R.
 *   <li>Per bucket (Spark partition), with no interaction between buckets: R builds a {@link
 *       io.veil.crypto.ot.CuckooHash} of its items and sends {@link
 *       io.veil.crypto.ot.KkrtOprf.Receiver#encode U} (64 bytes per bin); S builds the {@link
 *       io.veil.crypto.ot.KkrtOprf.Sender#evaluator evaluator} from U and sends, for each of its
 *       items x and j = 0, 1, 2, the output for row h_j(x) on x || j, truncated to
 *       σ + log2(bins) + log2(3 n_S) bits (σ = 40), shuffled.
 *   <li>R's items whose output is among S's are the intersection.
 * </ol>
 * Leakage: S learns the number of bins per bucket (so R's set size, up to the table factor); R
 * learns the intersection and S's set size (3 outputs per item).
 *
 * <p><b>Membership shares (multi-lender check).</b> {@link io.veil.crypto.ot.MembershipShares}
 * gives a lender L and a peer lender P additive shares mod p = 2^61 - 1 ({@link
 * io.veil.crypto.ot.Mersenne61}) of [x in P] · (1, amount_P(x)) for every applicant x of L, per
 * cuckoo bin, without either learning the bit. It runs two KKRT extensions: E1 with L as receiver
 * and E2 with P as receiver, bucket b using KKRT labels 4 b + phase. Messages per bucket of m bins:
 * U (L → P, 64 m bytes, L's OPRF rows); HINT (P → L, (16 β + 64) m bytes: per bin two polynomial
 * OPPRF hints ({@link io.veil.crypto.ot.PolyOpprf}) programming a random tag t_b and amount + α_b on
 * P's items in that bin under simple hashing, plus P's E2 row); EQ-ROWS (L → P, 17 · 64 m bytes: a
 * 1-of-16 OT row per 4-bit chunk of the decoded tag, and a row for L's random choice r_b); EQ (P →
 * L, 256 m bytes: chunk-equality indicators shared in Z_17); OPEN (L → P, 137 m bytes: the masked
 * equality sum and a reverse 1-of-17 OT carrying the masked amount); SHARES (P → L, 272 m bytes: a
 * derandomized 1-of-17 OT giving L its count and amount shares). Leakage: P learns m (L's item
 * count up to the cuckoo factor) and nothing else; L learns β = {@link
 * io.veil.crypto.ot.MembershipShares#beta}, so roughly P's item count per bucket, and nothing else
 * before the shares are combined. The polynomial OPPRF follows Kolesnikov, Matania, Pinkas,
 * Rosulek and Trieu, "Practical Multi-party Private Set Intersection from Symmetric-Key
 * Techniques" (CCS 2017); the equality test on the programmed tag is the chunked, OT-based
 * comparison in the style of Couteau ("New Protocols for Secure Equality Test and Comparison",
 * ACNS 2018) and Demmler, Schneider and Zohner (ABY, NDSS 2015), here with shares in Z_17.
 *
 * <p>Errors: {@link io.veil.crypto.ot.InvalidOtMessageException} for a malformed peer message
 * (wrap it in a {@link io.veil.ProtocolException} naming the peer and step), {@link
 * io.veil.crypto.ot.CuckooInsertionException} when a table must be rebuilt with a new seed, and
 * {@link io.veil.InvalidInputException} for local misuse.
 */
package io.veil.crypto.ot;
