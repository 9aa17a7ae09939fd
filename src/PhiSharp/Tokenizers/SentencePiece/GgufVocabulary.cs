namespace PhiSharp.Tokenizers;

/// <summary>
/// Reading a SentencePiece vocabulary from GGUF metadata (<c>tokenizer.ggml.tokens / scores / token_type</c>), which has
/// no merge list and no added-token flags: the flags are the ones llama.cpp (src/llama-vocab.cpp, llama_vocab::impl::load)
/// derives from token types, token texts and the model's name.
/// </summary>
internal static class GgufVocabulary
{
    // llama.cpp's token types (llama_token_type).
    const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Byte = 6;

    /// <summary>
    /// Texts llama.cpp treats as end-of-generation tokens whatever their type; a user-defined one among them is made a
    /// control token, so it is no longer matched when special tokens are not parsed (Phi-3's <c>&lt;/s&gt;</c>).
    /// </summary>
    static readonly HashSet<string> EndOfGenerationTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>",
        "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>",
    ];

    /// <summary>Pieces the vocabulary's id ↔ text tables hold: normal pieces and byte tokens.</summary>
    public static Dictionary<string, int> NormalPieces(string[] tokens, int[] types)
    {
        var pieces = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
            if (types[id] is Normal or Byte) pieces.TryAdd(tokens[id], id);
        return pieces;
    }

    /// <summary>
    /// Control, unknown and user-defined tokens are matched in the text before the model sees it. Control and unknown
    /// ones only when special tokens are parsed (with the end-of-generation texts counted as control). When general.name
    /// contains "phi-3" or "phi3" llama.cpp gives every such token rstrip — it swallows the whitespace after it, as Phi-3's
    /// tokenizer.json says for its chat tokens and <c>&lt;/s&gt;</c> — except <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c> and
    /// <c>&lt;|endoftext|&gt;</c>; under any other name no token strips.
    /// </summary>
    public static AddedToken[] AddedTokens(string[] tokens, int[] types, string? modelName)
    {
        bool phi3 = modelName is not null && (modelName.Contains("phi-3", StringComparison.OrdinalIgnoreCase) || modelName.Contains("phi3", StringComparison.OrdinalIgnoreCase));
        var added = new List<AddedToken>();
        for (int id = 0; id < tokens.Length; id++)
        {
            if (types[id] is not (Control or Unknown or UserDefined)) continue;
            string text = tokens[id];
            added.Add(new AddedToken(id, text,
                Special: types[id] != UserDefined || EndOfGenerationTexts.Contains(text),
                RStrip: phi3 && text is not ("<unk>" or "<s>" or "<|endoftext|>")));
        }
        return added.ToArray();
    }

    /// <summary>llama.cpp strips with C's <c>isspace</c> on UTF-8 bytes: ASCII whitespace only, not U+00A0 or U+3000.</summary>
    public static bool IsStrippedWhitespace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
