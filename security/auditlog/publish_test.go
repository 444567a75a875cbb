package auditlog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate/security/auditlog"
)

// dirNames lists the names in dir.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestFilePublisherWritesTheLatestCheckpoint(t *testing.T) {
	l := newTestLog(t, 5)
	first, second := l.note(t, 3), l.note(t, 5)
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint")
	pub := auditlog.FilePublisher(path)
	ctx := context.Background()

	if err := pub.Publish(ctx, first); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("the file holds %q, %v; want the note %q", got, err, first)
	}
	if err := pub.Publish(ctx, second); err != nil {
		t.Fatalf("Publish again: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, second) {
		t.Fatalf("after a second publish the file holds %q, %v; want %q", got, err, second)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "checkpoint" {
		t.Errorf("the directory holds %q: temporary files left behind", names)
	}
	// What was published is a checkpoint a verifier opens.
	if v, err := auditlog.Open(got, l.trust); err != nil || v.Size != 5 {
		t.Errorf("Open(published) = %+v, %v", v.Checkpoint, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("mode %v: a published checkpoint is for others to read", fi.Mode())
	}
}

func TestFilePublisherFails(t *testing.T) {
	msg := newTestLog(t, 1).note(t, 1)
	dir := t.TempDir()
	t.Run("in a directory that does not exist", func(t *testing.T) {
		path := filepath.Join(dir, "missing", "checkpoint")
		if err := auditlog.FilePublisher(path).Publish(context.Background(), msg); err == nil {
			t.Fatal("Publish succeeded")
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Stat after a failed publish: %v", err)
		}
	})
	t.Run("onto a directory", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "keep"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := auditlog.FilePublisher(sub).Publish(context.Background(), msg); err == nil {
			t.Fatal("Publish onto a non-empty directory succeeded")
		}
		if names := dirNames(t, dir); len(names) != 1 || names[0] != "sub" {
			t.Errorf("the directory holds %q: the temporary file was not removed", names)
		}
	})
	t.Run("with a cancelled context", func(t *testing.T) {
		path := filepath.Join(dir, "cancelled")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := auditlog.FilePublisher(path).Publish(ctx, msg); !errors.Is(err, context.Canceled) {
			t.Fatalf("Publish = %v, want context.Canceled", err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a cancelled publish wrote the file: %v", err)
		}
	})
}

// Readers racing a publisher see a whole checkpoint, the old or the new,
// never a mix or an empty file.
func TestFilePublisherReplacesAtomically(t *testing.T) {
	a := bytes.Repeat([]byte("a"), 1<<16)
	b := bytes.Repeat([]byte("b"), 1<<17)
	path := filepath.Join(t.TempDir(), "checkpoint")
	pub := auditlog.FilePublisher(path)
	if err := pub.Publish(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range 50 {
			msg := a
			if i%2 == 0 {
				msg = b
			}
			if err := pub.Publish(context.Background(), msg); err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
		}
	})
	var bad error
	for bad == nil {
		select {
		case <-done:
			wg.Wait()
			return
		default:
		}
		got, err := os.ReadFile(path)
		switch {
		case err != nil:
			bad = err
		case !bytes.Equal(got, a) && !bytes.Equal(got, b):
			bad = fmt.Errorf("a reader saw %d bytes, neither checkpoint", len(got))
		}
	}
	wg.Wait()
	t.Fatal(bad)
}

func TestPublishFuncIsCalled(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	msg := []byte("note\n")
	var got []byte
	var gotCtx context.Context
	var pub auditlog.Publisher = auditlog.PublishFunc(func(ctx context.Context, note []byte) error {
		got, gotCtx = note, ctx
		return nil
	})
	if err := pub.Publish(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) || gotCtx.Value(ctxKey{}) != "v" {
		t.Errorf("the function got %q and a context without the caller's value", got)
	}
	boom := errors.New("the witness is down")
	pub = auditlog.PublishFunc(func(context.Context, []byte) error { return boom })
	if err := pub.Publish(ctx, msg); !errors.Is(err, boom) {
		t.Errorf("Publish = %v, want the function's error", err)
	}
}
