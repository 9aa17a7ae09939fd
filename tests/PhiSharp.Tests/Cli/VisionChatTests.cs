using System.Text.RegularExpressions;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Tests.Models.Phi3Vision;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Cli;

/// <summary>`phi chat` with `/image PATH`, as a real process whose standard input is the user's lines.</summary>
public sealed class VisionChatTests
{
    const int Tokens = 6;

    /// <summary>The library call: the image's tag line before the text in Phi-3's chat format, Phi3VisionModel.Prepare,
    /// greedy decoding. rocket.jpg, since the tiny model gives most images the same reply and this one another.</summary>
    static string LibraryGreedy(string image, string question)
    {
        using var model = LanguageModel.Load(Phi3VisionFixtures.ModelFolder, new LoadOptions { ChatFormat = ChatFormat.Phi3 });
        var vision = new Phi3VisionModel(model);
        string text = model.ChatTemplate.Format([new ChatMessage("user", "<|image_1|>\n" + question)], addGenerationPrompt: true);
        var prompt = vision.Prepare(text, [ImageDecoder.Decode(image)]);
        var logits = new float[model.Network.VocabSize];
        using var session = model.Network.CreateSession(prompt.Ids.Length + Tokens);
        vision.Append(session, prompt, logits);
        var ids = new List<int>();
        for (int i = 0; i < Tokens; i++)
        {
            ids.Add(Array.IndexOf(logits, logits.Max()));
            session.Append([ids[^1]], logits);
        }
        return model.Tokenizer.Decode(ids.Where(id => !model.StopTokenIds.Contains(id)).ToArray());
    }

    static (int Exit, string Out, string Err) Chat(string input) => PhiCommandTests.PhiWithInput(input, "chat", "--model", Phi3VisionFixtures.ModelFolder,
        "--chat-format", "phi3", "--temperature", "0", "--max-tokens", Tokens.ToString(), "--ctx", "2048");

    /// <summary>The replies: each is the line after the "> " prompt of its message and before its "N tokens · …" line.</summary>
    static string[] Replies(string output)
    {
        var lines = output.Replace("\r", "").Split('\n');
        return Enumerable.Range(0, lines.Length - 1)
            .Where(i => lines[i].StartsWith("> ") && Regex.IsMatch(lines[i + 1], @"^\d+ tokens · "))
            .Select(i => lines[i][2..]).ToArray();
    }

    [Fact]
    public void An_attached_image_gives_the_library_calls_greedy_reply()
    {
        string image = Phi3VisionFixtures.ImagePath("rocket.jpg");
        string expected = LibraryGreedy(image, "What is this?");
        Assert.NotEqual(expected, LibraryGreedy(Phi3VisionFixtures.ImagePath("chelsea.png"), "What is this?"));

        var (exit, output, error) = Chat($"/image {image}\nWhat is this?\n/exit\n");
        Assert.True(exit == 0, error);
        Assert.Contains("image 1 attached to your next message", output);
        Assert.Equal(expected, Assert.Single(Replies(output)));
    }

    [Fact]
    public void A_bad_image_is_one_message_and_the_chat_goes_on()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"none-{Guid.NewGuid():N}.png");
        var (exit, output, error) = Chat($"/image {missing}\nhello\n/exit\n");
        Assert.True(exit == 0, error);
        Assert.Contains($"No image file at '{missing}'.", output.Replace("\n", ""));
        Assert.Single(Replies(output));
    }
}
