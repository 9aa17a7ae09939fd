using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Tests;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server.Tests.Images;

/// <summary>
/// A server of the tiny random Phi-3-vision folder (tests/fixtures/transformers/phi3v/phi3v-tiny, Phi-3's chat format:
/// the folder ships none) that reads images from a temporary --image-dir holding one photograph, a symlink out of the
/// folder and a symlinked folder that leads out of it (one slot, so successive requests share its cache); images are limited to 300,000 bytes so an oversized one is cheap.
/// </summary>
public sealed class VisionServer : IAsyncLifetime
{
    /// <summary>A photograph the tiny model answers differently from <see cref="OtherPhoto"/> (most images give it the same reply).</summary>
    public static readonly string Photo = Fixtures.Path("transformers", "phi3v", "images", "rocket.jpg");
    public static readonly string OtherPhoto = Fixtures.Path("transformers", "phi3v", "images", "chelsea.png");
    public const long MaxImageBytes = 300_000;

    public string ImageDirectory { get; } = Directory.CreateTempSubdirectory("phisharp-images-").FullName;
    readonly string _outside = Directory.CreateTempSubdirectory("phisharp-outside-").FullName;
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        File.Copy(Photo, Path.Combine(ImageDirectory, "rocket.jpg"));
        File.Copy(Photo, Path.Combine(_outside, "secret.png"));
        File.CreateSymbolicLink(Path.Combine(ImageDirectory, "escape.png"), Path.Combine(_outside, "secret.png"));
        Directory.CreateSymbolicLink(Path.Combine(ImageDirectory, "elsewhere"), _outside);
        Server = await TestServer.StartAsync(
            () => LanguageModel.Load(Fixtures.Path("transformers", "phi3v", "phi3v-tiny"), new LoadOptions { Threads = 1, ChatFormat = ChatFormat.Phi3 }),
            new ServerOptions { ImageDirectory = ImageDirectory, ImageLimits = new() { MaxBytes = MaxImageBytes }, ContextLength = 2048 });
    }

    /// <summary>The reference: Phi3VisionModel.Prepare on Phi-3's chat format with the image's tag line before the
    /// question (where PhiChatClient, the server and the page put it), then greedy decoding in a fresh session; the
    /// reply's text without the end-of-turn token, and the prompt's length.</summary>
    public (string Text, int PromptTokens) LibraryGreedy(string image, string question, int tokens)
    {
        var model = Server.Model;
        var library = new Phi3VisionModel(model);
        string text = model.ChatTemplate.Format([new ChatMessage("user", "<|image_1|>\n" + question)], addGenerationPrompt: true);
        var prompt = library.Prepare(text, [ImageDecoder.Decode(image)]);
        var logits = new float[model.Network.VocabSize];
        using var session = model.Network.CreateSession(prompt.Ids.Length + tokens);
        library.Append(session, prompt, logits);
        var ids = new List<int>();
        for (int i = 0; i < tokens; i++)
        {
            ids.Add(Array.IndexOf(logits, logits.Max()));
            if (model.StopTokenIds.Contains(ids[^1])) break;
            session.Append([ids[^1]], logits);
        }
        return (model.Tokenizer.Decode(ids.Where(id => !model.StopTokenIds.Contains(id)).ToArray()), prompt.Ids.Length);
    }

    public string Outside(string name) => Path.Combine(_outside, name);

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(ImageDirectory, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }
}
