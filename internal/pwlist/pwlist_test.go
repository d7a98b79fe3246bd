package pwlist

import (
	"runtime"
	"testing"
)

// heldBytes is the heap the loaded list holds: the entries and the index.
func heldBytes() int { return len(blob) + 4*cap(starts) }

// TestListSizeAndMemory: the embedded list loads to at least 100,000
// entries and holds less than 2 MB of heap once loaded.
func TestListSizeAndMemory(t *testing.T) {
	if n := Len(); n < 100000 {
		t.Fatalf("Len() = %d; want >= 100000", n)
	}
	if b := heldBytes(); b > 2<<20 {
		t.Errorf("the loaded list holds %d bytes; want < 2 MiB", b)
	}
	t.Logf("%d entries, %d bytes compressed, %d bytes of heap", Len(), len(compressed), heldBytes())
}

// BenchmarkLoad measures decompressing and indexing the list, and reports
// the heap it keeps (held-bytes, measured by the runtime after a GC).
func BenchmarkLoad(b *testing.B) {
	var before, after runtime.MemStats
	for b.Loop() {
		blob, starts = "", nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		load()
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "held-bytes")
}
