using PhiSharp.Quantization;

namespace PhiSharp.Hub;

/// <summary>
/// A safetensors repository made into a GGUF file once, by <c>phi quantize</c>'s code (<see cref="GgufQuantizer"/>), and
/// kept at <c>&lt;converted&gt;/models--org--name/&lt;commit&gt;/&lt;name&gt;-&lt;quantization&gt;.gguf</c>: beside the Hugging Face
/// cache, never inside it, since no repository holds that file. The commit in the path ties it to the weights it was
/// made from.
/// </summary>
static class Conversion
{
    public static string OutputPath(HubOptions options, string repoId, string commit, string quantization) =>
        Path.Combine(options.ConvertedDirectory, "models--" + repoId.Replace("/", "--"), commit,
            $"{repoId.Split('/')[1]}-{quantization}.gguf");

    public static void Run(string repoId, string folder, string output, string quantization, IProgress<PullProgress>? progress,
        CancellationToken cancellation)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        string model = Path.GetFileNameWithoutExtension(output);
        var report = progress is null ? null
            : new Relay(p => progress.Report(new PullProgress(PullStage.Convert, model, p.ElementsDone, p.ElementsTotal)));
        // The quantizer names the model (general.name) after its folder, which in the cache is a commit hash: it reads
        // the snapshot through a folder of links named as the repository instead.
        string staging = Path.Combine(Path.GetDirectoryName(output)!, $".staging-{Guid.NewGuid():N}");
        string named = Path.Combine(staging, repoId.Split('/')[1]);
        try
        {
            Directory.CreateDirectory(named);
            foreach (string file in Directory.EnumerateFiles(folder))
                File.CreateSymbolicLink(Path.Combine(named, Path.GetFileName(file)), Path.GetFullPath(file));
            GgufQuantizer.Quantize(named, output, QuantizationScheme.Parse(quantization), report, threads: 0, cancellation);
        }
        catch (UnsupportedModelException e)
        {
            throw new HubException($"cannot convert {folder} to GGUF: {e.Message}", e);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            // The folder made for this conversion goes when nothing was written into it.
            string dir = Path.GetDirectoryName(output)!;
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
    }

    /// <summary>Reports on the converting thread, in order (System.Progress would post to the thread pool).</summary>
    sealed class Relay(Action<QuantizeProgress> report) : IProgress<QuantizeProgress>
    {
        public void Report(QuantizeProgress value) => report(value);
    }
}
