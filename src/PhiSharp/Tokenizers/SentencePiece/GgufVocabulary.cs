namespace PhiSharp.Tokenizers;

/// <summary>
/// Reading a SentencePiece vocabulary from GGUF metadata (<c>tokenizer.ggml.tokens / scores / token_type</c>),
/// which has no merge list and no added-token flags: merges come from the scores, flags from the known Phi rules.
/// </summary>
internal static class GgufVocabulary
{
    // llama.cpp's token types (llama_token_type).
    const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Byte = 6;

    /// <summary>Pieces the BPE model builds words from: normal pieces and byte tokens.</summary>
    public static Dictionary<string, int> NormalPieces(string[] tokens, int[] types)
    {
        var pieces = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
            if (types[id] is Normal or Byte) pieces.TryAdd(tokens[id], id);
        return pieces;
    }

    /// <summary>
    /// Control, unknown and user-defined tokens are matched in the text before BPE, like tokenizer.json's added tokens.
    /// GGUF drops their lstrip/rstrip flags, so the flags every Phi-3 tokenizer.json gives are restored by name:
    /// the <c>&lt;|…|&gt;</c> chat tokens (not <c>&lt;|endoftext|&gt;</c>) and <c>&lt;/s&gt;</c> swallow the whitespace
    /// after them, and <c>&lt;/s&gt;</c> is not special. llama.cpp restores the same rstrip flags for Phi-3.
    /// </summary>
    public static AddedToken[] AddedTokens(string[] tokens, int[] types)
    {
        var added = new List<AddedToken>();
        for (int id = 0; id < tokens.Length; id++)
        {
            if (types[id] is not (Control or Unknown or UserDefined)) continue;
            string text = tokens[id];
            bool chatToken = text.StartsWith("<|", StringComparison.Ordinal) && text.EndsWith("|>", StringComparison.Ordinal) && text != "<|endoftext|>";
            bool endOfSequence = text == "</s>";
            added.Add(new AddedToken(id, text,
                Special: types[id] != UserDefined && !endOfSequence,
                RStrip: chatToken || endOfSequence));
        }
        return added.ToArray();
    }

    /// <summary>
    /// SentencePiece BPE merges the adjacent pair whose concatenation is the highest-scoring piece. As a merge table:
    /// every split of a normal piece into two pieces is a merge, ranked by the merged piece's score.
    /// </summary>
    public static BpeMerges MergesFromScores(string[] tokens, float[] scores, int[] types, Dictionary<string, int> pieces)
    {
        var byScore = Enumerable.Range(0, tokens.Length)
            .Where(id => types[id] == Normal)
            .OrderByDescending(id => scores[id]).ThenBy(id => id)
            .ToArray();
        var merges = new BpeMerges();
        for (int rank = 0; rank < byScore.Length; rank++)
        {
            int merged = byScore[rank];
            string text = tokens[merged];
            for (int split = 1; split < text.Length; split++)
            {
                if (char.IsLowSurrogate(text[split])) continue;
                if (pieces.TryGetValue(text[..split], out int left) && types[left] == Normal
                    && pieces.TryGetValue(text[split..], out int right) && types[right] == Normal)
                    merges.Add(left, right, rank, merged);
            }
        }
        return merges;
    }
}
