using Microsoft.Extensions.AI;
using PhiSharp.Generation;
using PhiSharp.Models.Phi3Vision;
using Xunit;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using PhiChatMessage = PhiSharp.Tokenizers.ChatMessage;

namespace PhiSharp.Tests.Models.Phi3Vision;

/// <summary>PhiChatClient takes images as <see cref="DataContent"/> with an image media type.</summary>
public sealed class PhiChatClientImageTests
{
    /// <summary>The client's greedy reply equals the library call on the same conversation: the image's tag before
    /// the message text, the chat format (Phi-3's: the tiny folder ships none), Phi3VisionModel.Prepare and greedy decoding.</summary>
    [Fact]
    public async Task An_image_in_a_message_gives_the_library_calls_greedy_tokens()
    {
        using var model = LanguageModel.Load(Phi3VisionFixtures.ModelFolder, new LoadOptions { KvCache = KvCacheType.F32, ChatFormat = PhiSharp.Tokenizers.ChatFormat.Phi3 });
        var png = File.ReadAllBytes(Phi3VisionFixtures.ImagePath("chelsea.png"));
        const int tokens = 6;

        var vision = new Phi3VisionModel(model);
        var text = model.ChatTemplate.Format([new PhiChatMessage("user", "<|image_1|>\nWhat is this?")], addGenerationPrompt: true);
        var prompt = vision.Prepare(text, [ImageDecoder.Decode(png)]);
        var logits = new float[model.Network.VocabSize];
        using var session = model.Network.CreateSession(prompt.Ids.Length + tokens);
        vision.Append(session, prompt, logits);
        var expected = new List<int>();
        for (int i = 0; i < tokens; i++)
        {
            expected.Add(Array.IndexOf(logits, logits.Max()));
            session.Append([expected[^1]], logits);
        }

        using var client = new PhiChatClient(model, contextLength: 1024);
        var message = new AiChatMessage(ChatRole.User, [new DataContent(png, "image/png"), new TextContent("What is this?")]);
        var response = await client.GetResponseAsync([message], new ChatOptions { MaxOutputTokens = tokens });
        Assert.Equal(model.Tokenizer.Decode(expected.ToArray()), response.Text);
        Assert.Equal(prompt.Ids.Length, response.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Content_that_is_not_an_image_is_refused()
    {
        using var model = LanguageModel.Load(Phi3VisionFixtures.ModelFolder, new LoadOptions { ChatFormat = PhiSharp.Tokenizers.ChatFormat.Phi3 });
        using var client = new PhiChatClient(model, contextLength: 256);
        var message = new AiChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "audio/wav"), new TextContent("Hi")]);
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([message]));
        Assert.Contains("audio/wav", e.Message);
    }
}
