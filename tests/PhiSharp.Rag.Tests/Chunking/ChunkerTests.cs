using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;

namespace PhiSharp.Rag.Tests.Chunking;

public sealed class ChunkerTests
{
    static string Words(int start, int count) => string.Join(' ', Enumerable.Range(start, count).Select(i => $"w{i}"));

    [Fact]
    public void Small_sections_are_one_chunk_each_and_never_merged_across_headings()
    {
        var doc = new ExtractedDocument([new Section("A", ["one two", "three"]), new Section("B", ["four"])]);
        var chunks = new Chunker(64, 8).Split(doc);
        Assert.Equal([("A", "one two\n\nthree"), ("B", "four")], chunks.Select(c => (c.Heading!, c.Text)));
        Assert.Equal([0, 1], chunks.Select(c => c.Ordinal));
    }

    [Fact]
    public void Long_text_is_bounded_overlapping_and_loses_no_word()
    {
        // 600 "words" of 2-3 characters: the estimate counts each as 4/3 token.
        var paragraphs = Enumerable.Range(0, 30).Select(p => Words(p * 20, 20) + ".").ToArray();
        var chunks = new Chunker(64, 12).Split(new ExtractedDocument([new Section("H", paragraphs)]));
        Assert.True(chunks.Count > 10);
        foreach (var chunk in chunks) Assert.InRange(chunk.Tokens, 1, 64);

        var seen = chunks.SelectMany(c => c.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Select(w => w.TrimEnd('.')).ToHashSet();
        Assert.All(Enumerable.Range(0, 600), i => Assert.Contains($"w{i}", seen));

        for (int i = 1; i < chunks.Count; i++)
        {
            var previousTail = chunks[i - 1].Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[^1];
            Assert.Contains(previousTail, chunks[i].Text); // the overlap carries the end of the previous chunk
        }
    }

    [Fact]
    public void A_giant_word_is_cut_to_the_budget()
    {
        var chunks = new Chunker(32, 0).Split(new ExtractedDocument([new Section(null, [new string('x', 1000)])]));
        foreach (var chunk in chunks) Assert.InRange(chunk.Tokens, 1, 32);
        Assert.Equal(1000, chunks.Sum(c => c.Text.Length));
    }

    [Fact]
    public void Bad_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Chunker(8, 0));
        Assert.Throws<ArgumentException>(() => new Chunker(64, 40));
    }
}
