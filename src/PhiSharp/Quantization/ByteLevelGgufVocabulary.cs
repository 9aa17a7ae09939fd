using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.ByteLevel;
using static PhiSharp.Quantization.GgufVocabularyArrays;

namespace PhiSharp.Quantization;

/// <summary>
/// A byte-level BPE tokenizer as llama.cpp's converter stores it in GGUF: tokenizer.ggml.model "gpt2", the
/// tokenizer.ggml.pre name of its split pattern, one token per embedding row (the byte-level alphabet's text; added
/// tokens as written; rows no token has are "[PADn]", UNUSED), token types (NORMAL, CONTROL for special added tokens and
/// those that look special, USER_DEFINED for the other added tokens) and the merges, best first.
/// From a byte-level tokenizer.json (Phi-4, Phi-4-mini: the converter's get_vocab_base) or from a tiktoken rank file
/// and its special tokens (Phi-3-small: as its _set_vocab_qwen does for tiktoken models).
/// </summary>
internal static class ByteLevelGgufVocabulary
{
    public static GgufVocabularyArrays FromTokenizerJson(TokenizerJson json, int vocabSize)
    {
        // Loading it first refuses, with the reason, what PhiSharp's byte-level tokenizer cannot run.
        ByteLevelBpeTokenizer.FromTokenizerJson(json);
        string pre = ByteLevelBpeTokenizer.GgufPreTokenizerName(json);
        int size = Math.Max(vocabSize, Math.Max(json.Vocab.Values.DefaultIfEmpty(-1).Max(), json.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1);
        var (tokens, types) = UnusedRows(size);
        foreach (var (text, id) in json.Vocab) (tokens[id], types[id]) = (text, Normal);
        foreach (var added in json.AddedTokens)
        {
            bool control = added.Special || LooksSpecial(added.Content);
            // llama.cpp matches user-defined tokens in raw text, so a SentencePiece ▁ in one stands for a space.
            (tokens[added.Id], types[added.Id]) = control ? (added.Content, Control) : (added.Content.Replace('▁', ' '), UserDefined);
        }
        int? Id(string text) => json.AddedTokens.FirstOrDefault(t => t.Content == text) is { } a ? a.Id
            : json.Vocab.TryGetValue(text, out int id) ? id : null;
        return new GgufVocabularyArrays
        {
            Model = "gpt2", Pre = pre, Tokens = tokens, Types = types, IdOf = Id,
            Merges = json.Merges.Select(m => m.Left + " " + m.Right).ToArray(),
            BosId = json.BosId, EosId = json.EosIds.Length > 0 ? json.EosIds[0] : null,
            AddBos = json.PrefixIds.Length > 0, AddEos = json.SuffixIds.Length > 0,
        };
    }

    /// <summary>
    /// The ranks are the ids of the tokens, the special tokens CONTROL at theirs. A tiktoken file has no merges: each
    /// token of two or more bytes is made by the one merge that BPE over its bytes, allowed only lower ranks, ends with
    /// (the two parts left), ranked by the token — the rule of the converter's QwenModel.bpe, and the merges tiktoken
    /// in effect applies. The end of text is &lt;|endoftext|&gt;, and nothing is added when encoding, as in tiktoken.
    /// </summary>
    public static GgufVocabularyArrays FromTiktoken(TiktokenFiles files, int vocabSize)
    {
        string pre = ByteLevelBpeTokenizer.GgufPreTokenizerName(files.Pattern, files.RankFile);
        var ranks = TiktokenFiles.ReadRanks(files.RankFile).OrderBy(r => r.Rank).ToList();
        int size = Math.Max(vocabSize, Math.Max(ranks.Select(r => r.Rank).DefaultIfEmpty(-1).Max(), files.SpecialTokens.Values.DefaultIfEmpty(-1).Max()) + 1);
        var (tokens, types) = UnusedRows(size);
        var rankOf = new Dictionary<string, int>(ranks.Count, StringComparer.Ordinal);
        foreach (var (bytes, rank) in ranks)
        {
            string text = ByteLevelAlphabet.ToText(bytes);
            if (!rankOf.TryAdd(text, rank) || types[rank] != Unused)
                throw new ModelFormatException(files.RankFile, $"rank {rank} or its bytes appear twice");
            (tokens[rank], types[rank]) = (text, Normal);
        }
        foreach (var (text, id) in files.SpecialTokens)
        {
            if (types[id] != Unused)
                throw new ModelFormatException(files.RankFile, $"special token '{text}' has id {id}, which a rank already has");
            (tokens[id], types[id]) = (text, Control);
        }
        int? Id(string text) => files.SpecialTokens.TryGetValue(text, out int special) ? special
            : rankOf.TryGetValue(ByteLevelAlphabet.ToText(System.Text.Encoding.UTF8.GetBytes(text)), out int rank) ? rank : null;
        int? endOfText = files.SpecialTokens.TryGetValue("<|endoftext|>", out int eot) ? eot : null;
        return new GgufVocabularyArrays
        {
            Model = "gpt2", Pre = pre, Tokens = tokens, Types = types, IdOf = Id,
            Merges = RecoverMerges(files.RankFile, ranks.Select(r => tokens[r.Rank]).ToList(), rankOf),
            BosId = endOfText, EosId = endOfText, AddBos = false, AddEos = false,
        };
    }

    /// <summary>One merge per token of two or more bytes, in rank order (<paramref name="texts"/> is in rank order).</summary>
    static string[] RecoverMerges(string source, List<string> texts, Dictionary<string, int> rankOf)
    {
        var merges = new List<string>(texts.Count);
        var parts = new List<string>();
        foreach (string text in texts)
        {
            if (text.Length < 2) continue;
            int own = rankOf[text];
            parts.Clear();
            foreach (char c in text) parts.Add(c.ToString());
            while (parts.Count > 2)
            {
                int best = -1, bestRank = own;
                for (int i = 0; i + 1 < parts.Count; i++)
                    if (rankOf.TryGetValue(parts[i] + parts[i + 1], out int r) && r < bestRank) (best, bestRank) = (i, r);
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count != 2)
                throw new ModelFormatException(source, $"rank {own} cannot be made by merging two tokens of lower rank; not a BPE rank file");
            merges.Add(parts[0] + " " + parts[1]);
        }
        return merges.ToArray();
    }

    /// <summary>Added tokens the converter makes CONTROL although not marked special (does_token_look_special).</summary>
    static bool LooksSpecial(string text) =>
        text is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal))
        || (text.StartsWith("<｜", StringComparison.Ordinal) && text.EndsWith("｜>", StringComparison.Ordinal))
        || (text.StartsWith("<unused", StringComparison.Ordinal) && text.EndsWith('>'));
}
