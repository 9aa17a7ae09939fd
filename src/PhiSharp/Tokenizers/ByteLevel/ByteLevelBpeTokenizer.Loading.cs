using PhiSharp.Formats.HuggingFace;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tokenizers;

// The ways to build a byte-level BPE tokenizer: tiktoken rank files, HF tokenizer.json, GGUF metadata.
public sealed partial class ByteLevelBpeTokenizer
{
    /// <summary>
    /// Reads a tiktoken <c>.tiktoken</c> rank file (one "base64-bytes rank" per line) with its split pattern and
    /// special tokens (text → id), as <c>tiktoken.Encoding(name, pat_str, mergeable_ranks, special_tokens)</c> takes them.
    /// <c>parseSpecial</c> on encode is tiktoken's <c>allowed_special="all"</c>; without it special-token text is plain
    /// text, as in <c>encode_ordinary</c>.
    /// </summary>
    public static ByteLevelBpeTokenizer FromTiktoken(string path, string pattern, IReadOnlyDictionary<string, int> specialTokens)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(specialTokens);
        var ranks = TiktokenFiles.ReadRanks(path);
        var vocabulary = ByteLevelVocabulary.FromRanks(path, ranks);
        var added = specialTokens.Select(s => new AddedToken(s.Value, s.Key, Special: true, Normalized: false)).ToArray();
        int? endOfText = specialTokens.TryGetValue("<|endoftext|>", out int eot) ? eot : null;
        return new ByteLevelBpeTokenizer(vocabulary, added, TextNormalizer.None, WordSplitter.FromPattern(pattern),
            addPrefixSpace: false, ignoreMerges: true, [], [], bosId: null, endOfText is int e ? [e] : []);
    }

    /// <summary>
    /// Reads a tokenizer.json with a BPE model over the byte-level alphabet (GPT-2 / CodeGen, Phi-4-mini's o200k) and the
    /// tokenizer_config.json beside it for BOS/EOS. Pre-tokenizers: <c>ByteLevel</c> (GPT-2 pattern) or a <c>Sequence</c>
    /// of <c>Split</c> (a regex, behaviour Isolated) and <c>ByteLevel</c> without its regex.
    /// </summary>
    public static ByteLevelBpeTokenizer FromTokenizerJson(string path) => FromTokenizerJson(TokenizerJson.Load(path));

    internal static ByteLevelBpeTokenizer FromTokenizerJson(TokenizerJson json)
    {
        string path = json.FilePath;
        string type = json.Model.TryGetString("type", out string t) ? t : "BPE";
        if (type != "BPE") throw new UnsupportedModelException(path, $"tokenizer model type '{type}' is not supported (supported: BPE)");
        if (json.Decoder is { } decoder && decoder.GetString("type") != "ByteLevel")
            throw new UnsupportedModelException(path, $"decoder type '{decoder.GetString("type")}' is not supported by byte-level BPE (supported: ByteLevel)");
        var vocabulary = ByteLevelVocabulary.FromTexts(path, json.Vocab, json.Merges);
        var (pattern, addPrefixSpace) = PreTokenizer(path, json.PreTokenizer);
        return new ByteLevelBpeTokenizer(vocabulary, json.AddedTokens, TextNormalizer.FromJson(json.Normalizer),
            pattern is null ? null : WordSplitter.FromPattern(pattern),
            addPrefixSpace, ignoreMerges: json.Model.TryGetBool("ignore_merges", out bool ignore) && ignore,
            json.PrefixIds, json.SuffixIds, json.BosId, json.EosIds);
    }

    /// <summary>
    /// Builds the tokenizer from GGUF metadata with <c>tokenizer.ggml.model</c> = "gpt2": the tokens (byte-level alphabet),
    /// the merges ("left right", best first), the token types and <c>tokenizer.ggml.pre</c>, the name llama.cpp gives the
    /// split pattern (see <see cref="GgufPreTokenizer"/>; absent means GPT-2's, the pattern of the files that predate the key).
    /// Control and user-defined tokens are matched in the text before BPE; control ones only when parsing special tokens.
    /// </summary>
    public static ByteLevelBpeTokenizer FromGgufVocabulary(string[] tokens, string[] merges, int[] tokenTypes, string? preTokenizer,
        int? bosId, int? eosId, bool addBos, bool addEos)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(tokenTypes);
        if (tokenTypes.Length != tokens.Length)
            throw new ArgumentException($"tokenizer.ggml.tokens has {tokens.Length} entries but token_type has {tokenTypes.Length}");
        const int Normal = 1, Control = 3, UserDefined = 4;
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var added = new List<AddedToken>();
        for (int id = 0; id < tokens.Length; id++)
        {
            if (tokenTypes[id] == Normal) ids.TryAdd(tokens[id], id);
            else if (tokenTypes[id] is Control or UserDefined) added.Add(new AddedToken(id, tokens[id], Special: tokenTypes[id] == Control));
        }
        var pairs = new List<(string, string)>(merges.Length);
        for (int i = 0; i < merges.Length; i++)
        {
            if (merges[i].Split(' ') is not [var left, var right])
                throw new ModelFormatException(null, $"tokenizer.ggml.merges[{i}] is '{Shorten(merges[i])}', expected 'left right'");
            pairs.Add((left, right));
        }
        var vocabulary = ByteLevelVocabulary.FromTexts("GGUF tokenizer.ggml.tokens", ids, pairs);
        int[] Ids(bool flag, int? id) => flag && id is int value ? [value] : [];
        var (pattern, ignoreMerges) = GgufPreTokenizer(preTokenizer);
        return new ByteLevelBpeTokenizer(vocabulary, added.ToArray(), TextNormalizer.None, WordSplitter.FromPattern(pattern),
            addPrefixSpace: false, ignoreMerges, Ids(addBos, bosId), Ids(addEos, eosId), bosId, eosId is int e ? [e] : []);
    }

    /// <summary>
    /// The <c>tokenizer.ggml.pre</c> names llama.cpp (src/llama-vocab.cpp) gives the GPT-2, cl100k and o200k split
    /// patterns, and whether it then takes a word that is a whole token whole (its <c>ignore_merges</c>, set for the
    /// Llama-3 names only). llama.cpp's converter writes "phi-2" for Phi-2 and "gpt-4o" for Phi-4-mini.
    /// </summary>
    static (string Pattern, bool IgnoreMerges) GgufPreTokenizer(string? name) => name switch
    {
        null or "gpt-2" or "phi-2" => (KnownPatterns.Gpt2, false),
        "gpt-4o" or "llama4" => (KnownPatterns.O200kHf, false),
        "dbrx" or "smaug-bpe" => (KnownPatterns.Cl100kHf, false),
        "llama-bpe" or "llama3" or "llama-v3" => (KnownPatterns.Cl100kHf, true),
        _ => throw new UnsupportedModelException(null, $"tokenizer.ggml.pre '{name}' is not supported " +
            "(supported: gpt-2, phi-2, gpt-4o, llama4, dbrx, smaug-bpe, llama-bpe, llama3, llama-v3)"),
    };

    /// <summary>
    /// The <c>tokenizer.ggml.pre</c> llama.cpp's converter writes for a byte-level tokenizer.json: it names the model whose
    /// pre-tokenizer hash it recognises, and for the Phi family the hash follows the split pattern — GPT-2's "gpt-2"
    /// (Phi-2's own whitespace tokens make its hash "phi-2", the same pattern), cl100k's "dbrx" (Phi-4, and Phi-3-small's
    /// tiktoken ranks), o200k's "gpt-4o" (Phi-4-mini). The inverse of <see cref="GgufPreTokenizer"/>; a pattern or step
    /// llama.cpp's byte-level tokenizer cannot reproduce (a normalizer, a prefix space) is refused.
    /// </summary>
    internal static string GgufPreTokenizerName(TokenizerJson json)
    {
        if (json.Normalizer is not null)
            throw new UnsupportedModelException(json.FilePath, "a byte-level tokenizer with a normalizer cannot be stored in GGUF (llama.cpp's byte-level BPE has none)");
        var (pattern, addPrefixSpace) = PreTokenizer(json.FilePath, json.PreTokenizer);
        if (addPrefixSpace)
            throw new UnsupportedModelException(json.FilePath, "a ByteLevel pre-tokenizer with add_prefix_space cannot be stored in GGUF (llama.cpp adds no prefix space)");
        return GgufPreTokenizerName(pattern, json.FilePath);
    }

    /// <summary>The <c>tokenizer.ggml.pre</c> name of a split pattern (see the overload above).</summary>
    internal static string GgufPreTokenizerName(string? pattern, string source) => pattern switch
    {
        KnownPatterns.Gpt2 => "gpt-2",
        KnownPatterns.Cl100kHf or KnownPatterns.Cl100kTiktoken => "dbrx",
        _ when pattern == KnownPatterns.O200kHf => "gpt-4o",
        _ => throw new UnsupportedModelException(source, pattern is null
            ? "a byte-level tokenizer without a split pattern cannot be stored in GGUF"
            : $"the split pattern '{Shorten(pattern)}' has no tokenizer.ggml.pre name in llama.cpp (supported: GPT-2's, cl100k's, o200k's)"),
    };

    static (string? Pattern, bool AddPrefixSpace) PreTokenizer(string path, HfJsonObject? spec)
    {
        if (spec is null) return (null, false);
        string type = spec.GetString("type");
        if (type == "ByteLevel") return ByteLevelStep(spec, regexAllowed: true);
        if (type == "Sequence" && spec.TryGetObjectArray("pretokenizers", out var steps)
            && steps is [var split, var byteLevel] && split.GetString("type") == "Split" && byteLevel.GetString("type") == "ByteLevel")
        {
            var pattern = split.GetObject("pattern");
            string behavior = split.TryGetString("behavior", out string b) ? b : "Isolated";
            if (!pattern.TryGetString("Regex", out string regex) || behavior != "Isolated" || (split.TryGetBool("invert", out bool inv) && inv))
                throw new UnsupportedModelException(path, "only a Split pre-tokenizer with a Regex pattern, behavior Isolated and no invert is supported");
            var (_, prefixSpace) = ByteLevelStep(byteLevel, regexAllowed: false);
            return (regex, prefixSpace);
        }
        throw new UnsupportedModelException(path, $"pre_tokenizer '{type}' is not supported by byte-level BPE (supported: ByteLevel, Sequence of Split and ByteLevel)");
    }

    static (string? Pattern, bool AddPrefixSpace) ByteLevelStep(HfJsonObject spec, bool regexAllowed)
    {
        bool useRegex = !spec.TryGetBool("use_regex", out bool r) || r;
        bool prefixSpace = spec.TryGetBool("add_prefix_space", out bool p) && p;
        if (useRegex && !regexAllowed)
            throw new UnsupportedModelException(spec.FilePath, "a ByteLevel pre-tokenizer with use_regex after a Split is not supported");
        return (useRegex ? KnownPatterns.Gpt2 : null, prefixSpace);
    }

    static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
