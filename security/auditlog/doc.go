// Package auditlog makes trustgate's audit log checkable with standard
// tools: the log is an RFC 6962 Merkle tree, its state is published as C2SP
// tlog-checkpoint signed notes, and membership and append-only growth are
// shown with inclusion and consistency proofs that verify offline, with
// nothing but the proof, a checkpoint and the log's verifier key.
//
// # What is standard here
//
//   - Tree hashing is RFC 6962 §2.1 (leaf SHA-256(0x00 ‖ data), node
//     SHA-256(0x01 ‖ left ‖ right)), computed by golang.org/x/mod/sumdb/tlog,
//     the code behind Go's checksum database; this package writes no hashing
//     of its own. A store keeps tlog's "stored hashes" (about two per event),
//     so that appending reads and writes O(log n) hashes and a proof reads
//     O(log n).
//   - A checkpoint ([Checkpoint]) is the c2sp.org/tlog-checkpoint body
//     (origin, size, base64 root hash, optional extension lines), signed as
//     a c2sp.org/signed-note with golang.org/x/mod/sumdb/note: note.Open
//     verifies it with the log's verifier key (<name>+<hash>+<key>, see
//     [VerifierKey]).
//   - A witness's cosignature is c2sp.org/tlog-cosignature v1 (Ed25519,
//     algorithm 0x04, a timestamp in the signature). [Open] verifies the
//     cosignatures of the witnesses its [Trust] names and can require a
//     quorum of them.
//   - An inclusion proof ([InclusionProof]) is c2sp.org/tlog-proof@v1: the
//     index, the RFC 6962 audit path, and the checkpoint verbatim. trustgate
//     puts the leaf itself (the event's canonical bytes) in the proof's
//     extra line, so a proof is self-contained: [VerifyInclusion] hashes the
//     extra data and checks it is the leaf at that index of the tree the
//     checkpoint signed. The extra data is authenticated by the proof, not
//     trusted before it.
//   - A consistency proof ([ConsistencyProof]) has no C2SP text form; it
//     uses the same conventions (a header line naming the format, decimal
//     sizes, one base64 hash per line) under the header
//     "github.com/buildworksai/trustgate/consistency-proof@v1".
//
// # Keys
//
// The log signs with the service key, an Ed25519 crypto.Signer (a KMS, an
// HSM or a key in memory), through [NewSigner]; note verifier keys carry
// Ed25519 keys only, so an ECDSA service key cannot sign checkpoints and
// [NewSigner] says so. The key name is the log's origin.
//
// # Publishing
//
// A checkpoint kept only in the database it vouches for proves little:
// whoever rewrites the log can rewrite it too. A [Publisher] sends each new
// checkpoint somewhere else (a file with [FilePublisher], a witness, an
// object store, a function of the caller's), and verification can require
// that the log is consistent with a checkpoint published earlier.
package auditlog
