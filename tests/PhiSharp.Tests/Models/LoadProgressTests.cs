using System.Collections.Concurrent;
using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>Loading tells how far the weights are read into memory (`phi` shows it for large files); mapping reads nothing.</summary>
public sealed class LoadProgressTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _path;

    public LoadProgressTests()
    {
        _path = _dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(_path);
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Keeps every report, from whichever thread it comes.</summary>
    sealed class Recorder : IProgress<LoadProgress>
    {
        public ConcurrentQueue<LoadProgress> Reports { get; } = new();
        public void Report(LoadProgress value) => Reports.Enqueue(value);
    }

    [Fact]
    public void Reading_a_gguf_into_memory_reports_bytes_from_0_to_the_file_size()
    {
        var recorder = new Recorder();
        using var model = LanguageModel.Load(_path, new LoadOptions { UseMemoryMap = false, Progress = recorder });

        long size = new FileInfo(_path).Length;
        var reports = recorder.Reports.ToList();
        Assert.All(reports, r => Assert.Equal(("tiny.gguf", size), (r.File, r.TotalBytes)));
        Assert.Equal(0, reports[0].BytesRead);
        Assert.Equal(size, reports.Max(r => r.BytesRead));
    }

    [Fact]
    public void A_mapped_file_reports_nothing()
    {
        var recorder = new Recorder();
        using var model = LanguageModel.Load(_path, new LoadOptions { UseMemoryMap = true, Progress = recorder });
        Assert.Empty(recorder.Reports);
    }
}
