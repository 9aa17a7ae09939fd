using System.Text.RegularExpressions;
using PhiSharp.Models.Decoder;
using PhiSharp.Tokenizers;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// A prompt with its images, ready for a session: token ids in which image n's positions hold the placeholder −n
/// (as Phi3VProcessor writes them), and each image's embedding rows for those positions.
/// </summary>
public sealed partial class Phi3VisionPrompt
{
    public required int[] Ids { get; init; }
    /// <summary>Per image, <c>TokenCount</c> rows of the text model's hidden size.</summary>
    public required IReadOnlyList<float[]> ImageRows { get; init; }

    [GeneratedRegex(@"<\|image_(\d+)\|>")]
    private static partial Regex ImageTag();

    /// <summary>
    /// Phi3VProcessor._convert_images_texts_to_inputs: the text is split at its <c>&lt;|image_n|&gt;</c> tags, each
    /// piece is tokenized as the tokenizer would on its own (special tokens parsed, BOS added where the tokenizer
    /// adds one: so after every image too), and tag n becomes <paramref name="imageTokenCounts"/>[n − 1] copies of
    /// −n. The remote code splices image features in the order the placeholders appear, so the tags must be
    /// <c>&lt;|image_1|&gt;</c> … <c>&lt;|image_k|&gt;</c>, once each, in that order, one per image.
    /// </summary>
    public static int[] ExpandIds(ITokenizer tokenizer, string text, IReadOnlyList<int> imageTokenCounts)
    {
        var tags = ImageTag().Matches(text);
        for (int i = 0; i < tags.Count; i++)
            if (tags[i].Groups[1].Value != (i + 1).ToString())
                throw new ArgumentException($"Image tag {i + 1} of the prompt is '{tags[i].Value}'; the prompt must name " +
                    "<|image_1|>, <|image_2|>, … once each, in order.", nameof(text));
        if (tags.Count != imageTokenCounts.Count)
            throw new ArgumentException($"The prompt has {tags.Count} image tag(s) for {imageTokenCounts.Count} image(s).", nameof(text));

        var ids = new List<int>();
        int start = 0;
        for (int i = 0; i <= tags.Count; i++)
        {
            int end = i < tags.Count ? tags[i].Index : text.Length;
            ids.AddRange(tokenizer.Encode(text[start..end], addSpecialTokens: true, parseSpecial: true));
            if (i == tags.Count) break;
            ids.AddRange(Enumerable.Repeat(-(i + 1), imageTokenCounts[i]));
            start = end + tags[i].Length;
        }
        return ids.ToArray();
    }

    /// <summary>The spans of spliced rows for <see cref="DecoderInput"/>, at the images' placeholder runs.</summary>
    internal EmbeddingRows[] EmbeddingSpans()
    {
        var spans = new EmbeddingRows[ImageRows.Count];
        for (int n = 0; n < spans.Length; n++)
        {
            int start = Array.IndexOf(Ids, -(n + 1));
            spans[n] = new EmbeddingRows(start, ImageRows[n]);
        }
        return spans;
    }
}
