package main

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// dropStartupPages unmaps the pages of the server's own executable (its
// code and read-only data) that are resident when it is called, after
// setup: start-up touches code and tables that serving never needs again
// (migrations run through much of SQLite, templates are parsed, the owner
// is created), and those pages would otherwise count in the process's
// resident memory for as long as it runs. The pages stay in the page
// cache, so one that serving needs after all is mapped back by a minor
// fault, without I/O. Only the executable's read-only private mappings are
// touched: they hold nothing but the file's contents, so nothing is lost.
// Failures are ignored (it only saves memory).
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
		// The result is ignored like the errors above.
		_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, uintptr(start), uintptr(end-start), syscall.MADV_DONTNEED)
	}
}
