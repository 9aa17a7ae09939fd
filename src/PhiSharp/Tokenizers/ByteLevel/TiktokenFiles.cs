namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// A byte-level BPE tokenizer shipped as tiktoken files instead of tokenizer.json (Phi-3-small's repositories): the rank
/// file (one "base64-bytes rank" per line), the split pattern and the special tokens (text → id), as
/// <c>tiktoken.Encoding(name, pat_str, mergeable_ranks, special_tokens)</c> takes them.
/// </summary>
public sealed record TiktokenFiles(string RankFile, string Pattern, IReadOnlyDictionary<string, int> SpecialTokens)
{
    public ByteLevelBpeTokenizer Load() => ByteLevelBpeTokenizer.FromTiktoken(RankFile, Pattern, SpecialTokens);

    /// <summary>Each token's bytes and rank, in file order; a malformed line is refused by number.</summary>
    internal static List<(byte[] Bytes, int Rank)> ReadRanks(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No tiktoken file at '{path}'.", path);
        var ranks = new List<(byte[] Bytes, int Rank)>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            string[] parts = line.Split(' ');
            byte[]? bytes = null;
            if (parts.Length != 2 || !int.TryParse(parts[1], out int rank) || rank < 0 || !TryBase64(parts[0], out bytes))
                throw new ModelFormatException(path, $"line {lineNumber} is '{(line.Length <= 60 ? line : line[..60] + "…")}', expected '<base64 bytes> <rank>'");
            ranks.Add((bytes!, rank));
        }
        return ranks;
    }

    static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        if (!Convert.TryFromBase64String(text, bytes, out int written)) return false;
        bytes = bytes[..written];
        return true;
    }
}
