package sqlite

// Prepares returns how many statements the connections of s have prepared.
func Prepares(s *Store) int64 {
	var n int64
	for _, c := range s.conns {
		n += c.prepares.Load()
	}
	return n
}
