namespace PhiSharp.Tokenizers;

/// <summary>
/// SentencePiece-style BPE with byte fallback (Llama-2 / Phi-3 vocabularies): added tokens are split out first, each
/// remaining piece is normalized (▁ for spaces and in front) and cut into words, and each word is encoded by the
/// vocabulary's model. From a Hugging Face folder it runs as transformers runs the folder (HF <c>tokenizers</c>' BPE:
/// <see cref="BpeWordModel"/>); from GGUF as llama.cpp runs the file (<see cref="ScoredPieceModel"/>).
/// </summary>
public sealed class SentencePieceBpeTokenizer : ITokenizer
{
    readonly string?[] _tokenTexts;                 // id → stored text; null for ids no file defines
    readonly Dictionary<string, int> _ids;
    readonly ISentencePieceModel _model;
    readonly AddedVocabulary _added;
    readonly TextNormalizer _normalizer;
    readonly MetaspacePreTokenizer? _preTokenizer;
    readonly TokenDecoder _decoder;
    readonly int[] _prefixIds, _suffixIds;

    SentencePieceBpeTokenizer(Vocabulary vocabulary, ISentencePieceModel model, AddedVocabulary added, TextNormalizer normalizer,
        MetaspacePreTokenizer? preTokenizer, TokenDecoder decoder, int[] prefixIds, int[] suffixIds, int? bosId, int[] eosIds)
    {
        _tokenTexts = vocabulary.TokenTexts;
        _ids = vocabulary.Ids;
        _model = model;
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

    /// <summary>
    /// Reads a tokenizer.json (and the tokenizer_config.json beside it, for BOS/EOS and, when it names a Llama
    /// tokenizer class, the pipeline transformers ≥ 5 runs: <see cref="Transformers5LlamaPipeline"/>) with a BPE model.
    /// </summary>
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
        var (normalizer, preTokenizer, decoder) = Transformers5LlamaPipeline.AppliesTo(json.Config)
            ? (TextNormalizer.None, Transformers5LlamaPipeline.PreTokenizer(json.Config!), Transformers5LlamaPipeline.Decoder(json.Config!))
            : (TextNormalizer.FromJson(json.Normalizer), MetaspacePreTokenizer.FromJson(json.PreTokenizer), TokenDecoder.FromJson(json.Decoder));
        return new SentencePieceBpeTokenizer(vocabulary, new BpeWordModel(vocabulary, merges), new AddedVocabulary(json.AddedTokens), normalizer, preTokenizer, decoder,
            json.PrefixIds, json.SuffixIds, json.BosId, json.EosIds);
    }

    /// <summary>
    /// Builds the tokenizer from GGUF metadata (<c>tokenizer.ggml.model</c> = "llama") the way llama.cpp reads it: pieces,
    /// their scores (higher merges first) and token types; words are encoded by llama.cpp's SentencePiece rule
    /// (<see cref="ScoredPieceModel"/>) and added tokens get the flags llama.cpp gives them (<see cref="GgufVocabulary"/>;
    /// <paramref name="modelName"/> is general.name, which decides Phi-3's rstrip flags there).
    /// </summary>
    public static SentencePieceBpeTokenizer FromGgufVocabulary(string[] tokens, float[] scores, int[] tokenTypes,
        int? bosId, int? eosId, int? unknownId, bool addBos, bool addEos, bool addSpacePrefix = true, string? modelName = null)
    {
        if (scores.Length != tokens.Length || tokenTypes.Length != tokens.Length)
            throw new ArgumentException($"tokenizer.ggml.tokens has {tokens.Length} entries but scores has {scores.Length} and token_type {tokenTypes.Length}");
        var added = GgufVocabulary.AddedTokens(tokens, tokenTypes, modelName);
        var vocabulary = Vocabulary.Build(GgufVocabulary.NormalPieces(tokens, tokenTypes), added, unknownId, fuseUnknown: true, byteFallback: true, allTokens: tokens);
        int[] Ids(bool flag, int? id) => flag && id is int value ? [value] : [];
        return new SentencePieceBpeTokenizer(vocabulary, new ScoredPieceModel(tokens, scores, unknownId),
            new AddedVocabulary(added, GgufVocabulary.IsStrippedWhitespace),
            TextNormalizer.SentencePiece(addSpacePrefix), null, TokenDecoder.SentencePiece(addSpacePrefix),
            Ids(addBos, bosId), Ids(addEos, eosId), bosId, eosId is int e ? [e] : []);
    }

    public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
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
                    _model.Encode(pieceText, ids);
                    continue;
                }
                foreach (string word in _preTokenizer.Words(pieceText, startOfInput: raw.Start == 0 && piece.Start == 0))
                    _model.Encode(word, ids);
            }
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return ids.ToArray();
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
