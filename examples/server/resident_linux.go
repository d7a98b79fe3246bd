package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// madvPageout is MADV_PAGEOUT (Linux 5.4), which the syscall package does
// not name.
const madvPageout = 21

// dropStartupPages releases the pages of the server's own executable (its
// code and read-only data) that are resident when it is called, after
// setup, so that the process keeps resident only what serving touches
// afterwards. Start-up touches code and tables that serving never needs
// again (the migrations run through much of SQLite, templates are parsed,
// the owner is created).
//
// How much of a 62 MB executable is resident also depends on how the
// kernel caches the file: it maps a cached block (a folio, 4 KiB to 2 MiB)
// whole on the first touch of any of its pages, so the same server had
// 20 MiB or 30 MiB of its executable resident under the same load,
// depending on how the file had last been written or read. So each of the
// executable's read-only mappings is marked for random access (no
// read-ahead: a page needed later is read alone, into a block of its own)
// and paged out (its cached blocks are dropped when no other process maps
// them, which needs the file to be the process's own or writable by it),
// then unmapped (MADV_DONTNEED) for what paging out left mapped. The cost
// is a read from disk the first time serving needs a page it has not used
// since start-up; the mappings hold nothing but the file's contents, so
// nothing is lost. Failures are ignored (it only saves memory).
func dropStartupPages() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// 00400000-016d9000 r-xp 00000000 fe:00 1234 /path/to/exe
		f := bytes.Fields(sc.Bytes())
		if len(f) != 6 || string(f[5]) != exe || len(f[1]) != 4 || f[1][1] != '-' || f[1][3] != 'p' {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(string(lo), 16, 64)
		end, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// The results are ignored like the errors above.
		for _, advice := range []uintptr{syscall.MADV_RANDOM, madvPageout, syscall.MADV_DONTNEED} {
			_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), advice)
		}
	}
}
