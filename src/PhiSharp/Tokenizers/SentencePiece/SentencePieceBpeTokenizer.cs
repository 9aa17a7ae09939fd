using System.Text;

namespace PhiSharp.Tokenizers;

/// <summary>
/// SentencePiece-style BPE with byte fallback (Llama-2 / Phi-3 vocabularies), run exactly as HF <c>tokenizers</c>
/// runs such a tokenizer.json: added tokens are split out first, each remaining piece is normalized (▁ for
/// spaces and in front) and cut into words, each word starts as one symbol per character — unknown characters
/// fall back to their UTF-8 byte tokens — and adjacent symbols are merged by rank.
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    readonly string?[] _tokenTexts;                 // id → stored text; null for ids no file defines
    readonly Dictionary<string, int> _ids;
    readonly Dictionary<int, int> _singleCharIds;   // Unicode scalar → id of the one-character piece
    readonly int[] _byteIds;                        // byte → id of <0xHH>, or -1
    readonly int? _unknownId;
    readonly bool _fuseUnknown;
    readonly bool _byteFallback;
    readonly BpeMerges _merges;
    readonly AddedVocabulary _added;
    readonly TextNormalizer _normalizer;
    readonly MetaspacePreTokenizer? _preTokenizer;
    readonly TokenDecoder _decoder;
    readonly int[] _prefixIds, _suffixIds;

    SentencePieceBpeTokenizer(Vocabulary vocabulary, BpeMerges merges, AddedVocabulary added, TextNormalizer normalizer,
        MetaspacePreTokenizer? preTokenizer, TokenDecoder decoder, int[] prefixIds, int[] suffixIds, int? bosId, int[] eosIds)
    {
        _tokenTexts = vocabulary.TokenTexts;
        _ids = vocabulary.Ids;
        _singleCharIds = vocabulary.SingleCharIds;
        _byteIds = vocabulary.ByteIds;
        _unknownId = vocabulary.UnknownId;
        _fuseUnknown = vocabulary.FuseUnknown;
        _byteFallback = vocabulary.ByteFallback;
        _merges = merges;
        _added = added;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _decoder = decoder;
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;
        BosId = bosId;
        EosIds = eosIds;
    }

    public int VocabSize => _tokenTexts.Length;
    public int? BosId { get; }
    public IReadOnlyList<int> EosIds { get; }

    /// <summary>Reads a tokenizer.json (and the tokenizer_config.json beside it, for BOS/EOS) with a BPE model.</summary>
    public static SentencePieceBpeTokenizer FromTokenizerJson(string path) => FromTokenizerJson(TokenizerJson.Load(path));

    internal static SentencePieceBpeTokenizer FromTokenizerJson(TokenizerJson json)
    {
        string path = json.FilePath;
        string type = json.Model.TryGetString("type", out string t) ? t : "BPE";
        if (type != "BPE") throw new UnsupportedModelException(path, $"tokenizer model type '{type}' is not supported (supported: BPE)");

        int? unknownId = json.Model.TryGetString("unk_token", out string unk) && json.Vocab.TryGetValue(unk, out int u) ? u : null;
        var vocabulary = Vocabulary.Build(json.Vocab, json.AddedTokens, unknownId,
            fuseUnknown: json.Model.TryGetBool("fuse_unk", out bool fuse) && fuse,
            byteFallback: json.Model.TryGetBool("byte_fallback", out bool bf) && bf);

        var merges = new BpeMerges();
        for (int rank = 0; rank < json.Merges.Count; rank++)
        {
            var (left, right) = json.Merges[rank];
            if (!json.Vocab.TryGetValue(left, out int l) || !json.Vocab.TryGetValue(right, out int r) || !json.Vocab.TryGetValue(left + right, out int m))
                throw new ModelFormatException(path, $"merge {rank} '{left} {right}' names a token that is not in the vocabulary");
            merges.Add(l, r, rank, m);
        }
        return new SentencePieceBpeTokenizer(vocabulary, merges, new AddedVocabulary(json.AddedTokens),
            TextNormalizer.FromJson(json.Normalizer), MetaspacePreTokenizer.FromJson(json.PreTokenizer), TokenDecoder.FromJson(json.Decoder),
            json.PrefixIds, json.SuffixIds, json.BosId, json.EosIds);
    }

    /// <summary>
    /// Builds the tokenizer from GGUF metadata (<c>tokenizer.ggml.model</c> = "llama"): pieces, their scores
    /// (higher merges first, as SentencePiece does) and token types.
    /// </summary>
    public static SentencePieceBpeTokenizer FromGgufVocabulary(string[] tokens, float[] scores, int[] tokenTypes,
        int? bosId, int? eosId, int? unknownId, bool addBos, bool addEos, bool addSpacePrefix = true)
    {
        if (scores.Length != tokens.Length || tokenTypes.Length != tokens.Length)
            throw new ArgumentException($"tokenizer.ggml.tokens has {tokens.Length} entries but scores has {scores.Length} and token_type {tokenTypes.Length}");
        var added = GgufVocabulary.AddedTokens(tokens, tokenTypes);
        var normal = GgufVocabulary.NormalPieces(tokens, tokenTypes);
        var vocabulary = Vocabulary.Build(normal, added, unknownId, fuseUnknown: true, byteFallback: true, allTokens: tokens);
        var merges = GgufVocabulary.MergesFromScores(tokens, scores, tokenTypes, normal);
        int[] Ids(bool flag, int? id) => flag && id is int value ? [value] : [];
        return new SentencePieceBpeTokenizer(vocabulary, merges, new AddedVocabulary(added),
            TextNormalizer.SentencePiece(addSpacePrefix), null, TokenDecoder.SentencePiece(addSpacePrefix),
            Ids(addBos, bosId), Ids(addEos, eosId), bosId, eosId is int e ? [e] : []);
    }

    public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
        var symbols = new List<int>();
        foreach (var raw in _added.Split(text, parseSpecial, normalizedPass: false))
        {
            if (raw.TokenId is int rawId)
            {
                ids.Add(rawId);
                continue;
            }
            string normalized = _normalizer.Apply(text.Substring(raw.Start, raw.Length));
            foreach (var piece in _added.Split(normalized, parseSpecial, normalizedPass: true))
            {
                if (piece.TokenId is int pieceId)
                {
                    ids.Add(pieceId);
                    continue;
                }
                string pieceText = normalized.Substring(piece.Start, piece.Length);
                if (_preTokenizer is null)
                {
                    EncodeWord(pieceText, symbols, ids);
                    continue;
                }
                foreach (string word in _preTokenizer.Words(pieceText, startOfInput: raw.Start == 0 && piece.Start == 0))
                    EncodeWord(word, symbols, ids);
            }
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return ids.ToArray();
    }

    // One symbol per character (or its UTF-8 bytes when the character is not a piece), then BPE merges.
    void EncodeWord(string word, List<int> symbols, List<int> output)
    {
        symbols.Clear();
        bool lastWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            if (_singleCharIds.TryGetValue(rune.Value, out int id))
            {
                symbols.Add(id);
                lastWasUnknown = false;
                continue;
            }
            int length = rune.EncodeToUtf8(utf8);
            if (_byteFallback && AllBytesKnown(utf8[..length]))
            {
                foreach (byte b in utf8[..length]) symbols.Add(_byteIds[b]);
                lastWasUnknown = false;
                continue;
            }
            if (_unknownId is not int unknown)
                throw new InvalidOperationException($"character U+{rune.Value:X4} is not in the vocabulary and the tokenizer has no unknown token");
            if (!(_fuseUnknown && lastWasUnknown)) symbols.Add(unknown);
            lastWasUnknown = true;
        }
        _merges.Apply(symbols);
        output.AddRange(symbols);
    }

    bool AllBytesKnown(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            if (_byteIds[b] < 0) return false;
        return true;
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            if (_added.TryGetById(id, out var added))
            {
                if (!(skipSpecialTokens && added.Special)) tokens.Add(added.Content);
            }
            else if ((uint)id < (uint)_tokenTexts.Length && _tokenTexts[id] is string text)
            {
                tokens.Add(text);
            }
        }
        return _decoder.Decode(tokens);
    }

    public string TokenText(int id) =>
        (uint)id < (uint)_tokenTexts.Length ? _tokenTexts[id] ?? "" : throw new ArgumentOutOfRangeException(nameof(id), id, $"not an id of this vocabulary (0..{_tokenTexts.Length - 1})");

    public bool IsSpecial(int id) => _added.IsSpecial(id);

    public bool TryGetId(string tokenText, out int id)
    {
        if (_added.TryGetByContent(tokenText, out var added))
        {
            id = added.Id;
            return true;
        }
        return _ids.TryGetValue(tokenText, out id);
    }
}
