namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// A byte-level BPE vocabulary as the encoder needs it, whatever file it came from: each token's stored text and
/// bytes, the single-byte tokens and the merge table.
/// </summary>
internal sealed class ByteLevelVocabulary
{
    public required Dictionary<string, int> Ids { get; init; }   // stored text → id
    public required byte[]?[] Bytes { get; init; }               // id → bytes (null for ids no token has)
    public required int[] ByteIds { get; init; }                 // byte → id of the one-byte token
    public required BpeMerges Merges { get; init; }
    public int Size => Bytes.Length;

    /// <summary>
    /// From stored texts (vocab.json, tokenizer.json, GGUF) and merges given as pairs of stored texts, ranked by
    /// position. <paramref name="source"/> names the file in errors.
    /// </summary>
    public static ByteLevelVocabulary FromTexts(string? source, Dictionary<string, int> ids, IReadOnlyList<(string Left, string Right)> merges)
    {
        int size = ids.Count == 0 ? 0 : ids.Values.Max() + 1;
        var bytes = new byte[]?[size];
        foreach (var (text, id) in ids)
        {
            if (!ByteLevelAlphabet.TryToBytes(text, out var b))
                throw new ModelFormatException(source, $"token {id} '{text}' has characters outside the byte-level alphabet; not a byte-level BPE vocabulary");
            bytes[id] = b;
        }
        var table = new BpeMerges();
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!ids.TryGetValue(left, out int l) || !ids.TryGetValue(right, out int r) || !ids.TryGetValue(left + right, out int m))
                throw new ModelFormatException(source, $"merge {rank} '{left} {right}' names a token that is not in the vocabulary");
            table.Add(l, r, rank, m);
        }
        return new ByteLevelVocabulary { Ids = ids, Bytes = bytes, ByteIds = SingleByteIds(source, bytes), Merges = table };
    }

    /// <summary>
    /// From tiktoken ranks (token bytes → rank = id). tiktoken fuses any adjacent pair whose joined bytes are a token,
    /// ranked by that token, so every split of a token into two tokens is a merge of the token's rank.
    /// </summary>
    public static ByteLevelVocabulary FromRanks(string? source, List<(byte[] Bytes, int Rank)> ranks)
    {
        int size = ranks.Count == 0 ? 0 : ranks.Max(r => r.Rank) + 1;
        var bytes = new byte[]?[size];
        var ids = new Dictionary<string, int>(ranks.Count, StringComparer.Ordinal);
        foreach (var (b, rank) in ranks)
        {
            if (bytes[rank] is not null) throw new ModelFormatException(source, $"rank {rank} appears twice");
            bytes[rank] = b;
            if (!ids.TryAdd(ByteLevelAlphabet.ToText(b), rank)) throw new ModelFormatException(source, $"the bytes of rank {rank} appear twice");
        }
        var lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        var table = new BpeMerges();
        foreach (var (text, id) in ids)
        {
            for (int split = 1; split < text.Length; split++)
                if (lookup.TryGetValue(text.AsSpan(0, split), out int l) && lookup.TryGetValue(text.AsSpan(split), out int r))
                    table.Add(l, r, id, id);
        }
        return new ByteLevelVocabulary { Ids = ids, Bytes = bytes, ByteIds = SingleByteIds(source, bytes), Merges = table };
    }

    static int[] SingleByteIds(string? source, byte[]?[] bytes)
    {
        var byteIds = Enumerable.Repeat(-1, 256).ToArray();
        for (int id = 0; id < bytes.Length; id++)
            if (bytes[id] is [byte b] && byteIds[b] < 0) byteIds[b] = id;
        int missing = Array.IndexOf(byteIds, -1);
        if (missing >= 0)
            throw new ModelFormatException(source, $"the vocabulary has no token for byte 0x{missing:X2}; byte-level BPE needs all 256 single-byte tokens");
        return byteIds;
    }
}
