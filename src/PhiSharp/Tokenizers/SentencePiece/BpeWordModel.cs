using System.Text;

namespace PhiSharp.Tokenizers;

/// <summary>
/// HF <c>tokenizers</c>' BPE model with byte fallback, as tokenizer.json describes it: a word starts as one symbol per
/// character — a character that is not a piece becomes its UTF-8 byte tokens (or the unknown token) at once — and
/// adjacent symbols are merged by the merge list's rank.
/// </summary>
internal sealed class BpeWordModel(Vocabulary vocabulary, BpeMerges merges) : ISentencePieceModel
{
    public void Encode(string word, List<int> output)
    {
        var symbols = new List<int>(word.Length);   // per call: one tokenizer serves concurrent requests
        bool lastWasUnknown = false;
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            if (vocabulary.SingleCharIds.TryGetValue(rune.Value, out int id))
            {
                symbols.Add(id);
                lastWasUnknown = false;
                continue;
            }
            int length = rune.EncodeToUtf8(utf8);
            if (vocabulary.ByteFallback && AllBytesKnown(utf8[..length]))
            {
                foreach (byte b in utf8[..length]) symbols.Add(vocabulary.ByteIds[b]);
                lastWasUnknown = false;
                continue;
            }
            if (vocabulary.UnknownId is not int unknown)
                throw new InvalidOperationException($"character U+{rune.Value:X4} is not in the vocabulary and the tokenizer has no unknown token");
            if (!(vocabulary.FuseUnknown && lastWasUnknown)) symbols.Add(unknown);
            lastWasUnknown = true;
        }
        merges.Apply(symbols);
        output.AddRange(symbols);
    }

    bool AllBytesKnown(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            if (vocabulary.ByteIds[b] < 0) return false;
        return true;
    }
}
