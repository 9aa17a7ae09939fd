namespace PhiSharp.Tokenizers;

/// <summary>
/// llama.cpp's SentencePiece tokenizer for GGUF "llama" vocabularies (llm_tokenizer_spm_session in src/llama-vocab.cpp),
/// which follows sentencepiece's own BPE: the word starts as one symbol per character whether or not that character is
/// a piece; the adjacent pair whose concatenation is a token of the vocabulary (any type) with the highest score merges
/// first, the leftmost pair on equal scores; at the end a symbol that is a token is emitted as it, and any other — only a
/// character that is not a piece and never merged — as its UTF-8 byte tokens <c>&lt;0xHH&gt;</c>.
/// Unlike HF's BPE (<see cref="BpeWordModel"/>) a character missing from the vocabulary can still merge: with "ра" a
/// piece but neither "р" nor "а", llama.cpp gives "ра" and HF gives the four byte tokens.
/// (llama.cpp's resegment also splits a non-token symbol through its record of merges; a merged symbol is always a
/// token, so that branch never runs and is not reproduced.)
/// </summary>
internal sealed class ScoredPieceModel : ISentencePieceModel
{
    readonly Dictionary<string, int> _ids;      // text → id; a repeated text means its last id, as llama.cpp's map ends up
    readonly float[] _scores;
    readonly int[] _byteIds;

    public ScoredPieceModel(string[] tokens, float[] scores, int? unknownId)
    {
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++) _ids[tokens[id]] = id;
        _scores = scores;
        // llama.cpp's byte_to_token: the <0xHH> token, else the one-character token of an ASCII byte (where neither
        // exists llama.cpp throws; the unknown token stands in here).
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++)
            _byteIds[b] = _ids.TryGetValue($"<0x{b:X2}>", out int id) ? id
                : b < 0x80 && _ids.TryGetValue(((char)b).ToString(), out id) ? id
                : unknownId ?? -1;
    }

    struct Symbol
    {
        public int Start, Length, Prev, Next;
    }

    public void Encode(string word, List<int> output)
    {
        var symbols = new List<Symbol>(word.Length);
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
        {
            int length = char.IsSurrogatePair(word, i) ? 2 : 1;
            symbols.Add(new Symbol { Start = i, Length = length, Prev = symbols.Count - 1, Next = i + length < word.Length ? symbols.Count + 1 : -1 });
        }
        if (symbols.Count == 0) return;

        // Highest score first, then the leftmost pair: llama.cpp's llm_bigram_spm comparator.
        var queue = new PriorityQueue<(int Left, int Right, int Length), (float NegativeScore, int Left)>();
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            int length = symbols[left].Length + symbols[right].Length;
            if (_ids.TryGetValue(word.Substring(symbols[left].Start, length), out int id))
                queue.Enqueue((left, right, length), (-_scores[id], left));
        }
        for (int i = 1; i < symbols.Count; i++) TryAdd(i - 1, i);

        while (queue.TryDequeue(out var pair, out _))
        {
            var left = symbols[pair.Left];
            var right = symbols[pair.Right];
            // Stale: one side has merged since the pair was queued.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != pair.Length) continue;
            left.Length += right.Length;
            left.Next = right.Next;
            right.Length = 0;
            if (right.Next >= 0) symbols[right.Next] = symbols[right.Next] with { Prev = pair.Left };
            symbols[pair.Left] = left;
            symbols[pair.Right] = right;
            TryAdd(left.Prev, pair.Left);
            TryAdd(pair.Left, left.Next);
        }

        for (int i = 0; i >= 0; i = symbols[i].Next)
        {
            string text = word.Substring(symbols[i].Start, symbols[i].Length);
            if (_ids.TryGetValue(text, out int id))
            {
                output.Add(id);
                continue;
            }
            foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text))
                output.Add(_byteIds[b] >= 0 ? _byteIds[b]
                    : throw new InvalidOperationException($"byte 0x{b:X2} has no <0x{b:X2}> token and the vocabulary has no unknown token"));
        }
    }
}
