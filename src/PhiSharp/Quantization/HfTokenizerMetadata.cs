using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Tokenizers;

namespace PhiSharp.Quantization;

/// <summary>
/// A SentencePiece-BPE tokenizer.json (Phi-3's) as llama.cpp's converter stores it in GGUF: tokenizer.ggml.model
/// "llama", one entry per embedding row (rows past the tokenizer are "[PADn]", type UNUSED), token types (NORMAL, UNKNOWN,
/// CONTROL, USER_DEFINED, UNUSED, BYTE), special ids, add_bos/add_eos and the chat template from tokenizer_config.json.
/// llama.cpp reads SentencePiece's piece scores from tokenizer.model; tokenizer.json has only the merge list, whose
/// order is the order of those scores, so a piece scores minus the rank of the first merge that makes it (pieces no
/// merge makes score below all of them) — the same merges, in the same order, for GGUF tokenizers that rank by score.
/// </summary>
internal static class HfTokenizerMetadata
{
    // llama.cpp's llama_token_type values.
    const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    public static void Write(GgufWriter writer, string folder, int vocabSize)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new ModelFormatException(folder, "no tokenizer.json in the model folder");
        var json = TokenizerJson.Load(path);
        if (json.IsByteLevel || !json.Model.TryGetString("type", out string type) || type != "BPE")
            throw new UnsupportedModelException(path, "only SentencePiece-style BPE tokenizers (Phi-3's) can be converted");

        int size = Math.Max(vocabSize, Math.Max(json.Vocab.Values.DefaultIfEmpty(-1).Max(), json.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1);
        var tokens = Enumerable.Range(0, size).Select(i => $"[PAD{i}]").ToArray();
        var scores = Enumerable.Repeat(-10000f, size).ToArray();
        var types = Enumerable.Repeat(Unused, size).ToArray();

        var mergeRank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int rank = 0; rank < json.Merges.Count; rank++) mergeRank.TryAdd(json.Merges[rank].Left + json.Merges[rank].Right, rank);
        string? unk = json.Model.TryGetString("unk_token", out string u) ? u : null;
        foreach (var (piece, id) in json.Vocab)
        {
            tokens[id] = piece;
            bool isByte = piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>');
            types[id] = piece == unk ? Unknown : isByte ? Byte : Normal;
            scores[id] = isByte || piece == unk ? 0f
                : mergeRank.TryGetValue(piece, out int rank) ? -rank
                : -(json.Merges.Count + id);
        }
        foreach (var added in json.AddedTokens)
        {
            tokens[added.Id] = added.Content;
            if (types[added.Id] == Unknown) continue;
            types[added.Id] = added.Special ? Control : UserDefined;
            scores[added.Id] = json.Vocab.ContainsKey(added.Content) ? 0f : -1000f;
        }

        writer.AddMetadata("tokenizer.ggml.model", "llama");
        writer.AddMetadata("tokenizer.ggml.pre", "default");
        writer.AddArray("tokenizer.ggml.tokens", tokens);
        writer.AddArray<float>("tokenizer.ggml.scores", scores);
        writer.AddArray<int>("tokenizer.ggml.token_type", types);

        var config = File.Exists(Path.Combine(folder, HfTokenizerConfig.FileName)) ? HfTokenizerConfig.Load(folder) : null;
        int? Id(string? text) => text is null ? null
            : json.AddedTokens.FirstOrDefault(t => t.Content == text) is { } a ? a.Id
            : json.Vocab.TryGetValue(text, out int id) ? id : null;
        void AddId(string key, int? id)
        {
            if (id is int value) writer.AddMetadata(key, (uint)value);
        }
        AddId("tokenizer.ggml.bos_token_id", json.BosId ?? Id(config?.BosToken));
        AddId("tokenizer.ggml.eos_token_id", json.EosIds.Length > 0 ? json.EosIds[0] : Id(config?.EosToken));
        AddId("tokenizer.ggml.unknown_token_id", Id(unk ?? config?.UnkToken));
        AddId("tokenizer.ggml.padding_token_id", Id(config?.PadToken));
        writer.AddMetadata("tokenizer.ggml.add_bos_token", config?.AddBosToken ?? json.PrefixIds.Length > 0);
        writer.AddMetadata("tokenizer.ggml.add_eos_token", config?.AddEosToken ?? json.SuffixIds.Length > 0);
        if (config?.ChatTemplate is string template) writer.AddMetadata("tokenizer.chat_template", template);
    }
}
