using System.Text;

namespace PhiSharp.Tokenizers;

/// <summary>The lookup tables a SentencePiece BPE encode and decode need, built once from a vocabulary.</summary>
internal sealed class Vocabulary
{
    public required string?[] TokenTexts { get; init; }
    public required Dictionary<string, int> Ids { get; init; }
    public required Dictionary<int, int> SingleCharIds { get; init; }
    public required int[] ByteIds { get; init; }
    public int? UnknownId { get; init; }
    public bool FuseUnknown { get; init; }
    public bool ByteFallback { get; init; }

    /// <param name="pieces">The model's pieces (piece → id); single characters and byte tokens come from here.</param>
    /// <param name="allTokens">Every id's text where a file lists them all (GGUF); otherwise pieces + added tokens.</param>
    public static Vocabulary Build(Dictionary<string, int> pieces, AddedToken[] added, int? unknownId,
        bool fuseUnknown, bool byteFallback, string[]? allTokens = null)
    {
        int size = Math.Max(allTokens?.Length ?? 0, Math.Max(
            pieces.Count == 0 ? 0 : pieces.Values.Max() + 1,
            added.Length == 0 ? 0 : added.Max(t => t.Id) + 1));
        var texts = new string?[size];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (allTokens is not null)
        {
            for (int id = 0; id < allTokens.Length; id++)
            {
                texts[id] = allTokens[id];
                ids.TryAdd(allTokens[id], id);
            }
        }
        foreach (var (piece, id) in pieces)
        {
            texts[id] = piece;
            ids.TryAdd(piece, id);
        }
        foreach (var token in added) texts[token.Id] ??= token.Content;

        var singleChars = new Dictionary<int, int>();
        var byteIds = Enumerable.Repeat(-1, 256).ToArray();
        foreach (var (piece, id) in pieces)
        {
            if (Rune.DecodeFromUtf16(piece, out var rune, out int used) == System.Buffers.OperationStatus.Done && used == piece.Length)
                singleChars.TryAdd(rune.Value, id);
            else if (TokenDecoder.TryParseByteToken(piece, out byte b))
                byteIds[b] = id;
        }
        if (unknownId is int unk && (uint)unk >= (uint)size)
            throw new ArgumentException($"unknown-token id {unk} is outside the vocabulary of {size} tokens");
        return new Vocabulary
        {
            TokenTexts = texts, Ids = ids, SingleCharIds = singleChars, ByteIds = byteIds,
            UnknownId = unknownId, FuseUnknown = fuseUnknown, ByteFallback = byteFallback,
        };
    }
}
