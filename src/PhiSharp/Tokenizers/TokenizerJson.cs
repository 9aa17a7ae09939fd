using System.Text.Json;
using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

/// <summary>
/// The parts of a Hugging Face tokenizer.json every tokenizer kind shares: the model's vocabulary and merges,
/// the added tokens, the normalizer / pre-tokenizer / decoder specs, and what <c>add_special_tokens</c> adds
/// (the TemplateProcessing post-processor, or tokenizer_config.json's add_bos_token / add_eos_token beside it).
/// </summary>
internal sealed class TokenizerJson
{
    public required string FilePath { get; init; }
    public required HfJsonObject Model { get; init; }
    public required Dictionary<string, int> Vocab { get; init; }
    public required List<(string Left, string Right)> Merges { get; init; }
    public required AddedToken[] AddedTokens { get; init; }
    public HfJsonObject? Normalizer { get; init; }
    public HfJsonObject? PreTokenizer { get; init; }
    public HfJsonObject? Decoder { get; init; }
    public required int[] PrefixIds { get; init; }
    public required int[] SuffixIds { get; init; }
    public int? BosId { get; init; }
    public int[] EosIds { get; init; } = [];

    /// <summary>The tokenizer_config.json beside the file, if any: in transformers ≥ 5 its class and flags shape the pipeline.</summary>
    public HfTokenizerConfig? Config { get; init; }

    /// <summary>Decodes through the byte-level alphabet (GPT-2 / Phi-2, o200k) rather than SentencePiece's ▁ and byte fallback.</summary>
    public bool IsByteLevel => Decoder is { } decoder && decoder.TryGetString("type", out string type) && type == "ByteLevel";

    public static TokenizerJson Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No tokenizer file at '{path}'.", path);
        var root = HfJsonObject.Load(path);
        var model = root.GetObject("model");
        var vocab = ReadVocab(model);
        var added = ReadAddedTokens(root);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        string configPath = Path.Combine(folder!, HfTokenizerConfig.FileName);
        var config = File.Exists(configPath) ? HfTokenizerConfig.Load(configPath) : null;

        int? Id(string? token) =>
            token is null ? null
            : added.FirstOrDefault(t => t.Content == token) is { } a ? a.Id
            : vocab.TryGetValue(token, out int id) ? id : null;

        var (prefix, suffix) = root.TryGetObject("post_processor", out var post)
            ? ReadTemplate(post)
            : ([.. FlagIds(config?.AddBosToken, config?.BosToken, Id)], [.. FlagIds(config?.AddEosToken, config?.EosToken, Id)]);

        return new TokenizerJson
        {
            FilePath = path,
            Model = model,
            Vocab = vocab,
            Merges = ReadMerges(model),
            AddedTokens = added,
            Normalizer = root.TryGetObject("normalizer", out var n) ? n : null,
            PreTokenizer = root.TryGetObject("pre_tokenizer", out var p) ? p : null,
            Decoder = root.TryGetObject("decoder", out var d) ? d : null,
            PrefixIds = prefix,
            SuffixIds = suffix,
            BosId = Id(config?.BosToken),
            EosIds = Id(config?.EosToken) is int eos ? [eos] : [],
            Config = config,
        };
    }

    static IEnumerable<int> FlagIds(bool? flag, string? token, Func<string?, int?> id) =>
        flag == true && id(token) is int value ? [value] : [];

    static Dictionary<string, int> ReadVocab(HfJsonObject model)
    {
        if (!model.TryGetValue("vocab", out var element) || element.ValueKind != JsonValueKind.Object)
            throw model.Error("vocab", "is missing or not an object of token → id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0)
                throw model.Error("vocab", $"maps '{entry.Name}' to {entry.Value.GetRawText()}, expected a non-negative integer id");
            vocab[entry.Name] = id;
        }
        return vocab;
    }

    // Merges are "left right" strings in older files and [left, right] pairs in newer ones.
    static List<(string, string)> ReadMerges(HfJsonObject model)
    {
        var merges = new List<(string, string)>();
        if (!model.TryGetValue("merges", out var element)) return merges;
        if (element.ValueKind != JsonValueKind.Array) throw model.Error("merges", "is not an array");
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String && item.GetString()!.Split(' ') is [var l, var r])
                merges.Add((l, r));
            else if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2
                     && item[0].ValueKind == JsonValueKind.String && item[1].ValueKind == JsonValueKind.String)
                merges.Add((item[0].GetString()!, item[1].GetString()!));
            else
                throw model.Error($"merges[{i}]", $"is {item.GetRawText()}, expected \"left right\" or [left, right]");
            i++;
        }
        return merges;
    }

    static AddedToken[] ReadAddedTokens(HfJsonObject root)
    {
        root.TryGetObjectArray("added_tokens", out var items);
        return items.Select(t => new AddedToken(
            t.GetInt("id"), t.GetString("content"),
            Special: t.TryGetBool("special", out bool s) && s,
            LStrip: t.TryGetBool("lstrip", out bool l) && l,
            RStrip: t.TryGetBool("rstrip", out bool r) && r,
            SingleWord: t.TryGetBool("single_word", out bool w) && w,
            Normalized: !t.TryGetBool("normalized", out bool norm) || norm)).ToArray();
    }

    // TemplateProcessing's "single" template: special tokens around the sequence "A".
    static (int[] Prefix, int[] Suffix) ReadTemplate(HfJsonObject post)
    {
        string type = post.GetString("type");
        if (type == "ByteLevel") return ([], []);   // GPT-2's: it only trims offsets and adds no tokens
        if (type == "BertProcessing") return ([BertProcessingId(post, "cls")], [BertProcessingId(post, "sep")]);
        if (type != "TemplateProcessing")
            throw new UnsupportedModelException(post.FilePath, $"post_processor type '{type}' is not supported (supported: TemplateProcessing, BertProcessing, ByteLevel)");
        post.TryGetObjectArray("single", out var pieces);
        var specials = post.GetObject("special_tokens");
        List<int> prefix = [], suffix = [];
        bool seenSequence = false;
        foreach (var piece in pieces)
        {
            if (piece.Contains("Sequence"))
            {
                seenSequence = true;
                continue;
            }
            string name = piece.GetObject("SpecialToken").GetString("id");
            (seenSequence ? suffix : prefix).AddRange(specials.GetObject(name).GetIntArray("ids"));
        }
        return (prefix.ToArray(), suffix.ToArray());
    }

    // Older BERT files: "cls": ["[CLS]", 101], "sep": ["[SEP]", 102].
    static int BertProcessingId(HfJsonObject post, string name) =>
        post.TryGetValue(name, out var pair) && pair.ValueKind == JsonValueKind.Array && pair.GetArrayLength() == 2
            && pair[1].ValueKind == JsonValueKind.Number && pair[1].TryGetInt32(out int id)
            ? id : throw post.Error(name, "is not a [token, id] pair");
}
