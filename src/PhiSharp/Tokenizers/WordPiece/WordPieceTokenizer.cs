using System.Text;

namespace PhiSharp.Tokenizers;

/// <summary>
/// BERT's WordPiece tokenizer (bge, MiniLM, nomic-embed), run as HF <c>tokenizers</c> runs such a tokenizer.json:
/// added tokens are split out first, each remaining piece goes through the <see cref="BertNormalizer"/>, is cut into
/// words by the <see cref="BertPreTokenizer"/>, and each word becomes the longest vocabulary entries from its start,
/// later pieces with the <c>##</c> prefix; a word with an unmatchable rest, or longer than
/// <c>max_input_chars_per_word</c> characters, becomes one <c>[UNK]</c>. With special tokens: <c>[CLS] … [SEP]</c>.
/// </summary>
public sealed partial class WordPieceTokenizer : ITokenizer
{
    readonly string[] _tokenTexts;                  // id → vocab.txt form (continuations with ##)
    readonly Dictionary<string, int> _ids;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    readonly string _continuationPrefix;
    readonly int _maxCharsPerWord;
    readonly int _unknownId;
    readonly AddedVocabulary _added;
    readonly BertNormalizer _normalizer;
    readonly int[] _prefixIds, _suffixIds;

    WordPieceTokenizer(string[] tokenTexts, Dictionary<string, int> ids, string continuationPrefix, int maxCharsPerWord,
        int unknownId, AddedVocabulary added, BertNormalizer normalizer, int[] prefixIds, int[] suffixIds)
    {
        _tokenTexts = tokenTexts;
        _ids = ids;
        _lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuationPrefix = continuationPrefix;
        _maxCharsPerWord = maxCharsPerWord;
        _unknownId = unknownId;
        _added = added;
        _normalizer = normalizer;
        _prefixIds = prefixIds;
        _suffixIds = suffixIds;
    }

    public int VocabSize => _tokenTexts.Length;

    /// <summary>The <c>[CLS]</c> id the template puts first, whose final hidden state CLS pooling reads.</summary>
    public int? BosId => _prefixIds.Length > 0 ? _prefixIds[0] : null;

    public IReadOnlyList<int> EosIds => _suffixIds.Length > 0 ? [_suffixIds[^1]] : [];

    public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefixIds);
        foreach (var raw in _added.Split(text, parseSpecial, normalizedPass: false))
        {
            if (raw.TokenId is int addedId)
            {
                ids.Add(addedId);
                continue;
            }
            string normalized = _normalizer.Apply(text.Substring(raw.Start, raw.Length));
            foreach (var piece in _added.Split(normalized, parseSpecial, normalizedPass: true))
            {
                if (piece.TokenId is int id) ids.Add(id);
                else
                    foreach (var (start, length) in BertPreTokenizer.Split(normalized.Substring(piece.Start, piece.Length)))
                        EncodeWord(normalized.AsSpan(piece.Start + start, length), ids);
            }
        }
        if (addSpecialTokens) ids.AddRange(_suffixIds);
        return ids.ToArray();
    }

    // Greedy longest match first; all of the word's pieces, or one [UNK] for the whole word.
    void EncodeWord(ReadOnlySpan<char> word, List<int> ids)
    {
        int runes = 0;
        foreach (var _ in word.EnumerateRunes()) runes++;
        if (runes > _maxCharsPerWord)
        {
            ids.Add(_unknownId);
            return;
        }
        int firstPiece = ids.Count;
        Span<char> scratch = word.Length + _continuationPrefix.Length <= 256 ? stackalloc char[256] : new char[word.Length + _continuationPrefix.Length];
        _continuationPrefix.AsSpan().CopyTo(scratch);
        int start = 0;
        while (start < word.Length)
        {
            int end = word.Length, found = -1;
            while (end > start)
            {
                bool matched;
                if (start == 0) matched = _lookup.TryGetValue(word[..end], out found);
                else
                {
                    word[start..end].CopyTo(scratch[_continuationPrefix.Length..]);
                    matched = _lookup.TryGetValue(scratch[..(_continuationPrefix.Length + end - start)], out found);
                }
                if (matched) break;
                found = -1;
                end -= char.IsLowSurrogate(word[end - 1]) && end - 2 >= start ? 2 : 1;
            }
            if (found < 0)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(_unknownId);
                return;
            }
            ids.Add(found);
            start = end;
        }
    }

    /// <summary>
    /// HF's WordPiece decoder with cleanup: pieces joined by spaces, <c>##</c> pieces glued to the one before, and
    /// each piece's leading space dropped before <c>. ? ! ,</c> and English contractions.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        bool first = true;
        foreach (int id in ids)
        {
            if (skipSpecialTokens && _added.IsSpecial(id)) continue;
            string token = TokenText(id);
            string piece = first ? token
                : token.StartsWith(_continuationPrefix, StringComparison.Ordinal) ? token[_continuationPrefix.Length..]
                : " " + token;
            sb.Append(Cleanup(piece));
            first = false;
        }
        return sb.ToString();
    }

    static string Cleanup(string piece) => piece
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" do not", " don't", StringComparison.Ordinal)
        .Replace(" 's", "'s", StringComparison.Ordinal).Replace(" 've", "'ve", StringComparison.Ordinal)
        .Replace(" 're", "'re", StringComparison.Ordinal);

    public string TokenText(int id) =>
        (uint)id < (uint)_tokenTexts.Length ? _tokenTexts[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"not an id of this {VocabSize}-entry vocabulary");

    public bool IsSpecial(int id) => _added.IsSpecial(id);

    public bool TryGetId(string tokenText, out int id) => _ids.TryGetValue(tokenText, out id);
}
