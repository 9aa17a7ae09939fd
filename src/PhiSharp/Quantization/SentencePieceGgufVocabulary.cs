using PhiSharp.Tokenizers;
using static PhiSharp.Quantization.GgufVocabularyArrays;

namespace PhiSharp.Quantization;

/// <summary>
/// A SentencePiece-BPE tokenizer.json (Phi-3's) as llama.cpp's converter stores it in GGUF: tokenizer.ggml.model "llama",
/// one entry per embedding row, token types (NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE) and scores.
/// llama.cpp reads SentencePiece's piece scores from tokenizer.model; tokenizer.json has only the merge list, whose
/// order is the order of those scores, so a piece scores minus the rank of the first merge that makes it (pieces no
/// merge makes score below all of them) — the same merges, in the same order, for GGUF tokenizers that rank by score.
/// </summary>
internal static class SentencePieceGgufVocabulary
{
    public static GgufVocabularyArrays FromTokenizerJson(TokenizerJson json, int vocabSize)
    {
        if (!json.Model.TryGetString("type", out string type) || type != "BPE")
            throw new UnsupportedModelException(json.FilePath, $"tokenizer model type '{type}' cannot be converted (supported: BPE)");
        int size = Math.Max(vocabSize, Math.Max(json.Vocab.Values.DefaultIfEmpty(-1).Max(), json.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1);
        var (tokens, types) = UnusedRows(size);
        var scores = Enumerable.Repeat(-10000f, size).ToArray();

        var mergeRank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int rank = 0; rank < json.Merges.Count; rank++) mergeRank.TryAdd(json.Merges[rank].Left + json.Merges[rank].Right, rank);
        string? unk = json.Model.TryGetString("unk_token", out string u) ? u : null;
        foreach (var (piece, id) in json.Vocab)
        {
            tokens[id] = piece;
            bool isByte = piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>');
            types[id] = piece == unk ? Unknown : isByte ? GgufVocabularyArrays.Byte : Normal;
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

        int? Id(string text) => json.AddedTokens.FirstOrDefault(t => t.Content == text) is { } a ? a.Id
            : json.Vocab.TryGetValue(text, out int id) ? id : null;
        return new GgufVocabularyArrays
        {
            Model = "llama", Pre = "default", Tokens = tokens, Scores = scores, Types = types, IdOf = Id,
            BosId = json.BosId, EosId = json.EosIds.Length > 0 ? json.EosIds[0] : null, UnknownId = unk is null ? null : Id(unk),
            AddBos = json.PrefixIds.Length > 0, AddEos = json.SuffixIds.Length > 0,
        };
    }
}
