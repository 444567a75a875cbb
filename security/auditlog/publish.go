package auditlog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Publisher sends a newly signed checkpoint outside the database it
// vouches for. A store calls it after the checkpoint is committed; an
// error is returned to the caller, and the checkpoint stays stored, to be
// published again.
type Publisher interface {
	Publish(ctx context.Context, note []byte) error
}

// PublishFunc is a function that is a [Publisher].
type PublishFunc func(ctx context.Context, note []byte) error

// Publish calls f.
func (f PublishFunc) Publish(ctx context.Context, note []byte) error { return f(ctx, note) }

// FilePublisher returns a Publisher that writes each checkpoint to path,
// replacing the previous one atomically (a temporary file in the same
// directory, synced, then renamed), so a reader sees a whole checkpoint
// or the one before, never a mix. Keep the file where the database's
// writers cannot write.
func FilePublisher(path string) Publisher {
	return PublishFunc(func(ctx context.Context, note []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return writeFileAtomic(path, note)
	})
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("auditlog: publishing checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("auditlog: publishing checkpoint to %s: %w", path, err)
	}
	return nil
}
