// Package security holds what makes trustgate's records provable: SHA-256
// [Digest] values, and the append-only, hash-chained audit log.
//
// # Audit log
//
// Every governance action (a model created, approved or activated, a
// validation passed or failed, a CAB decision, an exception) is recorded as
// an [Event]. Each event stores the previous event's hash and its own hash,
// SHA-256 over (previous hash ‖ the RFC 8785 canonical form of the event), so
// any edit, deletion, insertion or reordering of stored events breaks the
// chain at that point. [VerifyChain] walks a log through the narrow
// [EventReader] interface (every store implements it) and reports the first
// broken link as a [*ChainError].
//
// A chain alone cannot see its tail cut off. [SignCheckpoint] signs the head
// of the log (its size and last hash) with an Ed25519 key the user supplies;
// verifying against a [Checkpoint] kept where the log's writers cannot
// rewrite it detects truncation too, the approach of transparency logs such
// as Sigstore's Rekor. The package trusts the keys and the clock it is given.
//
// The canonical form of an event is pinned by a test: changing it would make
// every stored chain fail to verify, so it changes only with a new version of
// the format.
package security
