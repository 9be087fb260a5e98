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
 * <p>Errors: {@link io.veil.crypto.ot.InvalidOtMessageException} for a malformed peer message
 * (wrap it in a {@link io.veil.ProtocolException} naming the peer and step), {@link
 * io.veil.crypto.ot.CuckooInsertionException} when a table must be rebuilt with a new seed, and
 * {@link io.veil.InvalidInputException} for local misuse.
 */
package io.veil.crypto.ot;
