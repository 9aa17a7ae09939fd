using System.Text;

namespace PhiSharp.Tokenizers.ByteLevel;

/// <summary>
/// GPT-2's byte ⇄ character table (<c>bytes_to_unicode</c>): vocabulary files store each byte as a printable
/// character — printable Latin-1 bytes as themselves, the other 68 bytes as U+0100 onwards in byte order
/// (space is Ġ, newline Ċ).
/// </summary>
internal static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = BuildByteToChar();
    static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = (char)(printable ? b : next++);
        }
        return table;
    }

    /// <summary>The stored form of a token's bytes.</summary>
    public static string ToText(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes) sb.Append(ByteToChar[b]);
        return sb.ToString();
    }

    /// <summary>The bytes a stored token stands for; false when a character is outside the alphabet.</summary>
    public static bool TryToBytes(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            if (!CharToByte.TryGetValue(text[i], out bytes[i])) return false;
        }
        return true;
    }
}
