using PhiSharp.Formats.HuggingFace;

namespace PhiSharp.Tokenizers;

public sealed partial class WordPieceTokenizer
{
    /// <summary>Reads a tokenizer.json with a WordPiece model (bge, MiniLM, nomic-embed).</summary>
    public static WordPieceTokenizer FromTokenizerJson(string path) => FromTokenizerJson(TokenizerJson.Load(path));

    internal static WordPieceTokenizer FromTokenizerJson(TokenizerJson json)
    {
        string path = json.FilePath;
        var model = json.Model;
        string type = model.TryGetString("type", out string t) ? t : "";
        if (type != "WordPiece") throw new UnsupportedModelException(path, $"tokenizer model type '{type}' is not a WordPiece model");
        if (json.PreTokenizer is { } pre && pre.GetString("type") != "BertPreTokenizer")
            throw new UnsupportedModelException(path, $"pre_tokenizer type '{pre.GetString("type")}' is not supported with a WordPiece model (supported: BertPreTokenizer)");
        var normalizer = json.Normalizer is { } n ? BertNormalizer.FromJson(n)
            : throw new UnsupportedModelException(path, "a WordPiece tokenizer without a BertNormalizer is not supported");

        var texts = TextsById(json.Vocab, json.AddedTokens, path);
        string unknown = model.TryGetString("unk_token", out string u) ? u : "[UNK]";
        if (!json.Vocab.TryGetValue(unknown, out int unknownId))
            throw model.Error("unk_token", $"names '{unknown}', which is not in the vocabulary");
        int maxChars = model.TryGetInt("max_input_chars_per_word", out int m) ? m : 100;
        if (maxChars < 1) throw model.Error("max_input_chars_per_word", $"is {maxChars}, expected at least 1");
        string prefix = model.TryGetString("continuing_subword_prefix", out string p) ? p : "##";
        return new WordPieceTokenizer(texts, json.Vocab, prefix, maxChars, unknownId, new AddedVocabulary(json.AddedTokens),
            normalizer, json.PrefixIds, json.SuffixIds);
    }

    /// <summary>
    /// Reads a GGUF "bert" vocabulary. llama.cpp's converter stores it in "phantom space" form: word-initial entries
    /// with a leading ▁, continuations without their ##, bracketed entries ([CLS], [unused0]) unchanged; this undoes that. llama.cpp's
    /// WordPiece always normalizes as bert-base-uncased does, so that is what this tokenizer does too.
    /// </summary>
    public static WordPieceTokenizer FromGgufVocabulary(string[] tokens, int[] types, int unknownId, int clsId, int sepId, string path)
    {
        const int Control = 3, Unknown = 2, UserDefined = 4;
        if (types.Length != tokens.Length)
            throw new ModelFormatException(path, $"tokenizer.ggml.token_type has {types.Length} entries, tokenizer.ggml.tokens {tokens.Length}");
        foreach (var (name, id) in new[] { ("unknown", unknownId), ("cls", clsId), ("seperator", sepId) })
            if ((uint)id >= (uint)tokens.Length)
                throw new ModelFormatException(path, $"tokenizer.ggml.{name}_token_id {id} is not an id of the {tokens.Length}-entry vocabulary");
        var texts = new string[tokens.Length];
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var added = new List<AddedToken>();
        for (int id = 0; id < tokens.Length; id++)
        {
            string token = tokens[id];
            bool bracketed = token.Length > 2 && token[0] == '[' && token[^1] == ']';   // [CLS], [unused0], ...: kept as is
            texts[id] = bracketed || types[id] is Control or Unknown or UserDefined ? token
                : token.StartsWith('▁') ? token[1..]
                : "##" + token;
            ids.TryAdd(texts[id], id);
            if (types[id] is Control or Unknown or UserDefined)
                added.Add(new AddedToken(id, token, Special: types[id] != UserDefined));
        }
        return new WordPieceTokenizer(texts, ids, "##", 100, unknownId, new AddedVocabulary(added), BertNormalizer.Uncased, [clsId], [sepId]);
    }

    static string[] TextsById(Dictionary<string, int> vocab, AddedToken[] added, string path)
    {
        int size = Math.Max(vocab.Count == 0 ? 0 : vocab.Values.Max() + 1, added.Length == 0 ? 0 : added.Max(a => a.Id) + 1);
        var texts = new string?[size];
        foreach (var (text, id) in vocab) texts[id] = text;
        foreach (var a in added) texts[a.Id] ??= a.Content;
        for (int id = 0; id < size; id++)
            if (texts[id] is null) throw new ModelFormatException(path, $"the WordPiece vocabulary has no entry for id {id}");
        return texts!;
    }
}
