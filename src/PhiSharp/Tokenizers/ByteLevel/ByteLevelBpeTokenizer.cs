using System.Text;
using PhiSharp.Tokenizers.ByteLevel;

namespace PhiSharp.Tokenizers;

/// <summary>
/// Byte-level BPE (GPT-2 / CodeGen for Phi-1.5 and Phi-2, cl100k for Phi-3-small, o200k for Phi-4-mini), run as HF
/// <c>tokenizers</c>, tiktoken and llama.cpp run it: added tokens are split out first, the rest is normalized (when the
/// file says so) and cut into words by the split pattern, and each word's UTF-8 bytes are merged by rank.
/// Build one with the factories in ByteLevelBpeTokenizer.Loading.cs.
/// </summary>
public sealed partial class ByteLevelBpeTokenizer : ITokenizer
{
    readonly string?[] _tokenTexts;   // id → stored text (byte-level alphabet; added tokens as written); null for gaps
    readonly byte[]?[] _tokenBytes;   // id → the bytes the id decodes to
    readonly Dictionary<string, int> _ids;
    readonly AddedVocabulary _added;
    readonly bool _hasPlainAddedTokens;
    readonly TextNormalizer _normalizer;
    readonly WordSplitter? _splitter;  // null: each text piece is one word
    readonly bool _addPrefixSpace;
    readonly BytePairEncoder _encoder;
    readonly int[] _prefixIds, _suffixIds;

    ByteLevelBpeTokenizer(ByteLevelVocabulary vocabulary, AddedToken[] added, TextNormalizer normalizer, WordSplitter? splitter,
        bool addPrefixSpace, bool ignoreMerges, int[] prefixIds, int[] suffixIds, int? bosId, int[] eosIds)
    {
        int size = Math.Max(vocabulary.Size, added.Length == 0 ? 0 : added.Max(t => t.Id) + 1);
        _tokenTexts = new string?[size];
        _tokenBytes = new byte[]?[size];
        var wholeWords = new Dictionary<string, int>(StringComparer.Ordinal);
        var strictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        foreach (var (text, id) in vocabulary.Ids)
        {
            _tokenTexts[id] = text;
            _tokenBytes[id] = vocabulary.Bytes[id];
            try
            {
                wholeWords.TryAdd(strictUtf8.GetString(vocabulary.Bytes[id]!), id);
            }
            catch (DecoderFallbackException)
            {
                // A token that is part of a character can never be a whole word.
            }
        }
        foreach (var token in added)
        {
            _tokenTexts[token.Id] = token.Content;
            _tokenBytes[token.Id] = AddedTokenBytes(token.Content);
        }
        _ids = vocabulary.Ids;
        _added = new AddedVocabulary(added);
        _hasPlainAddedTokens = added.Any(t => !t.Special);
        _normalizer = normalizer;
        _splitter = splitter;
        _addPrefixSpace = addPrefixSpace;
        _encoder = new BytePairEncoder(vocabulary.ByteIds, vocabulary.Merges, ignoreMerges, wholeWords);
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;
        BosId = bosId;
        EosIds = eosIds;
    }

    public int VocabSize => _tokenTexts.Length;
    public int? BosId { get; }
    public IReadOnlyList<int> EosIds { get; }

    public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 4 + 4);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
        if (!parseSpecial && !_hasPlainAddedTokens)
        {
            EncodePlain(_normalizer.Apply(text), ids);
        }
        else
        {
            // HF matches non-normalized added tokens on the raw text, normalized ones on each normalized piece.
            foreach (var raw in _added.Split(text, parseSpecial, normalizedPass: false))
            {
                if (raw.TokenId is int rawId)
                {
                    ids.Add(rawId);
                    continue;
                }
                string normalized = _normalizer.Apply(text.Substring(raw.Start, raw.Length));
                foreach (var piece in _added.Split(normalized, parseSpecial, normalizedPass: true))
                {
                    if (piece.TokenId is int pieceId) ids.Add(pieceId);
                    else EncodePlain(normalized.AsSpan(piece.Start, piece.Length), ids);
                }
            }
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return ids.ToArray();
    }

    void EncodePlain(ReadOnlySpan<char> text, List<int> ids)
    {
        if (text.IsEmpty) return;
        if (_addPrefixSpace && text[0] != ' ') text = string.Concat(" ", text);
        if (_splitter is null)
        {
            _encoder.Encode(text, ids);
            return;
        }
        for (int start = 0; start < text.Length;)
        {
            int end = _splitter.PieceEnd(text, start);
            _encoder.Encode(text[start..end], ids);
            start = end;
        }
    }

    /// <summary>The bytes of all ids joined, then read as UTF-8 with U+FFFD for each invalid sequence (HF's from_utf8_lossy).</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _added.IsSpecial(id)) continue;
            if ((uint)id < (uint)_tokenBytes.Length && _tokenBytes[id] is byte[] b) bytes.AddRange(b);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    public string TokenText(int id) =>
        (uint)id < (uint)_tokenTexts.Length ? _tokenTexts[id] ?? "" : throw new ArgumentOutOfRangeException(nameof(id), id, $"not an id of this vocabulary (0..{_tokenTexts.Length - 1})");

    public bool IsSpecial(int id) => _added.IsSpecial(id);

    /// <summary>The bytes <paramref name="id"/> decodes to (empty for an id no file defines).</summary>
    internal ReadOnlySpan<byte> TokenBytes(int id) => (uint)id < (uint)_tokenBytes.Length ? _tokenBytes[id] : default;

    public bool TryGetId(string tokenText, out int id)
    {
        if (_added.TryGetByContent(tokenText, out var added))
        {
            id = added.Id;
            return true;
        }
        return _ids.TryGetValue(tokenText, out id);
    }

    // HF's ByteLevel decoder reads an added token's characters through the byte alphabet when all of them are in it,
    // and takes its UTF-8 otherwise (printable ASCII is in the alphabet as itself, so "<|end|>" is its own bytes).
    static byte[] AddedTokenBytes(string content) =>
        ByteLevelAlphabet.TryToBytes(content, out byte[] bytes) ? bytes : Encoding.UTF8.GetBytes(content);
}
