namespace PhiSharp.Models.Phi3Small;

/// <summary>
/// Phi-3-small's special tokens and ids as tokenization_phi3_small.py defines them (its SPECIAL_TOKENS table; they are
/// not stored in the repository's files): cl100k_base's five specials, the chat markers, and dummy ids that fill the
/// unused ranks and pad the vocabulary from 100276 to 100352.
/// </summary>
public static class Phi3SmallSpecialTokens
{
    const int ActualVocabSize = 100276, PaddedVocabSize = 100352;

    /// <summary>Every special token and its id, in the reference table's order.</summary>
    public static IReadOnlyList<KeyValuePair<string, int>> All { get; } = Build();

    /// <summary>Ids the model masks out of its logits (dummy_token_indices): every dummy id plus the fill-in-the-middle
    /// markers and &lt;|endofprompt|&gt;, which the model does not use. Sorted.</summary>
    public static int[] DummyTokenIds { get; } = All
        .Where(t => t.Key.Contains("dummy_id") || t.Key is "<|fim_prefix|>" or "<|fim_middle|>" or "<|fim_suffix|>" or "<|endofprompt|>")
        .Select(t => t.Value).Order().ToArray();

    static List<KeyValuePair<string, int>> Build()
    {
        var table = new List<KeyValuePair<string, int>>();
        void Add(string token, int id) => table.Add(new(token, id));
        Add("<|endoftext|>", 100257);
        Add("<|fim_prefix|>", 100258);
        Add("<|fim_middle|>", 100259);
        Add("<|fim_suffix|>", 100260);
        Add("<|system|>", 100261);
        Add("<|user|>", 100262);
        Add("<|assistant|>", 100263);
        Add("<|dummy_id_0|>", 100264);
        Add("<|dummy_id_1|>", 100265);
        Add("<|end|>", 100266);
        Add("<|dummy_id_2|>", 100256); // cl100k_base has no token of rank 100256
        for (int i = 3; i <= 11; i++) Add($"<|dummy_id_{i}|>", 100264 + i);
        Add("<|endofprompt|>", 100276);
        for (int offset = 1; offset < PaddedVocabSize - ActualVocabSize; offset++)
            Add($"<|dummy_id_{11 + offset}|>", ActualVocabSize + offset);
        return table;
    }
}
