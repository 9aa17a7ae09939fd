namespace PhiSharp.Generation.Constraints;

/// <summary>
/// Turns a range of code points into sequences of byte ranges whose concatenations are exactly the UTF-8 encodings
/// of those code points (the construction regex engines use), so the grammar can be matched byte by byte and a
/// character split across tokens is still checked exactly. Surrogates are never encoded.
/// </summary>
internal static class Utf8Ranges
{
    public static void Add(int first, int last, List<(byte First, byte Last)[]> into)
    {
        if (first <= 0xD7FF && last >= 0xD800)
        {
            Add(first, 0xD7FF, into);
            if (last > 0xDFFF) Add(0xE000, last, into);
            return;
        }
        if (first is >= 0xD800 and <= 0xDFFF)
        {
            if (last > 0xDFFF) Add(0xE000, last, into);
            return;
        }
        foreach (int boundary in (ReadOnlySpan<int>)[0x7F, 0x7FF, 0xFFFF])
        {
            if (first <= boundary && last > boundary)
            {
                Add(first, boundary, into);
                Add(boundary + 1, last, into);
                return;
            }
        }
        int length = Length(first);
        for (int i = 1; i < length; i++)
        {
            int mask = (1 << (6 * i)) - 1;
            if ((first & ~mask) == (last & ~mask)) continue;
            if ((first & mask) != 0)
            {
                Add(first, first | mask, into);
                Add((first | mask) + 1, last, into);
                return;
            }
            if ((last & mask) != mask)
            {
                Add(first, (last & ~mask) - 1, into);
                Add(last & ~mask, last, into);
                return;
            }
        }
        Span<byte> a = stackalloc byte[4], b = stackalloc byte[4];
        Encode(first, a);
        Encode(last, b);
        var sequence = new (byte, byte)[length];
        for (int i = 0; i < length; i++) sequence[i] = (a[i], b[i]);
        into.Add(sequence);
    }

    static int Length(int cp) => cp <= 0x7F ? 1 : cp <= 0x7FF ? 2 : cp <= 0xFFFF ? 3 : 4;

    static void Encode(int cp, Span<byte> into) => new System.Text.Rune(cp).EncodeToUtf8(into);
}
