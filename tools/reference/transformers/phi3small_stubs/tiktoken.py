"""Stand-in for the tiktoken Python package: tokenization_phi3_small.py imports it at the top; the fixture script
reads only that file's SPECIAL_TOKENS table and dummy_token_indices, never an encoding (npm tiktoken encodes the
corpus: tools/reference/tokenizer/phi3small_fixtures.mjs)."""
