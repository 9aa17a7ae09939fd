using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>A tiny random GGUF written to a temporary folder and loaded on one thread (a tiny model gains nothing
/// from threads); disposing unloads it and deletes the folder.</summary>
public sealed class LoadedTinyModel : IDisposable
{
    readonly TempDirectory _dir = new();

    public LanguageModel Model { get; }

    /// <param name="write">Writes the GGUF at the path it is given, e.g. <see cref="TinyPhi3Gguf.Write"/>.</param>
    public LoadedTinyModel(Action<string> write)
    {
        string path = _dir.File("tiny.gguf");
        write(path);
        Model = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
    }

    public void Dispose()
    {
        Model.Dispose();
        _dir.Dispose();
    }
}
