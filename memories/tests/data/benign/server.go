package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"
)

// Config holds the server settings, read from the environment.
type Config struct {
	Addr          string        `json:"addr"`
	Token         string        `json:"token"`
	Password      string        `json:"password,omitempty"`
	ReadTimeout   time.Duration `json:"read_timeout"`
	APIKeyHeader  string        `json:"api_key_header"`
}

var ErrUnauthorized = errors.New("unauthorized")

func LoadConfig() Config {
	return Config{
		Addr:         getenv("ADDR", ":8080"),
		Token:        os.Getenv("SERVER_TOKEN"),
		Password:     os.Getenv("ADMIN_PASSWORD"),
		ReadTimeout:  15 * time.Second,
		APIKeyHeader: "X-Api-Key",
	}
}

func getenv(key, fallback string) string {
	if value, ok := os.LookupEnv(key); ok {
		return value
	}
	return fallback
}

// Authorize checks the bearer token of a request in constant time.
func (c Config) Authorize(r *http.Request) error {
	header := r.Header.Get("Authorization")
	token := strings.TrimPrefix(header, "Bearer ")
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(c.Token)) != 1 {
		return ErrUnauthorized
	}
	return nil
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	keys, err := s.store.ListKeys(ctx)
	if err != nil {
		http.Error(w, "cannot list keys", http.StatusInternalServerError)
		return
	}
	for _, key := range keys {
		key.Secret = ""
	}
	_ = json.NewEncoder(w).Encode(keys)
}

func tokenize(input string) []Token {
	var tokens []Token
	for _, field := range strings.Fields(input) {
		tokens = append(tokens, Token{Kind: classify(field), Text: field})
	}
	return tokens
}
