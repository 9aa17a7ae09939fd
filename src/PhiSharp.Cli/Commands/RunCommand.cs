using System.CommandLine;
using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Tokenizers;

namespace PhiSharp.Cli.Commands;

static class RunCommand
{
    public static Command Create()
    {
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt text" };
        var ids = new Option<string>("--ids") { Description = "The prompt as comma-separated token ids" };
        var chat = new Option<bool>("--chat") { Description = "Wrap the prompt in the model's chat format as a user message" };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...], \"text\": \"...\"} instead of streaming text" };
        var jsonSchema = new Option<FileInfo>("--json-schema") { Description = "Constrain the output to JSON valid against this JSON schema file (subset: docs/TOOLS.md)" };
        var grammar = new Option<FileInfo>("--grammar") { Description = "Constrain the output to this grammar file (docs/TOOLS.md)" };
        var images = new Option<FileInfo[]>("--image")
        {
            Description = "An image for a Phi-3-vision model (repeatable; JPEG, PNG, WebP). The prompt names them <|image_1|>, <|image_2|>, …; without tags they go before the text",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("run", "Generate a continuation of a prompt");
        ModelArguments.AddTo(command);
        ModelArguments.AddChatFormatTo(command);
        GenerationArguments.AddTo(command);
        command.Options.Add(prompt);
        command.Options.Add(ids);
        command.Options.Add(chat);
        command.Options.Add(json);
        command.Options.Add(jsonSchema);
        command.Options.Add(grammar);
        command.Options.Add(images);
        command.Validators.Add(result =>
        {
            bool hasPrompt = result.GetResult(prompt) is not null, hasIds = result.GetResult(ids) is not null;
            if (hasPrompt == hasIds) result.AddError("Give exactly one of --prompt or --ids.");
            if (hasIds && result.GetResult(chat) is not null) result.AddError("--chat wraps text; use it with --prompt, not --ids.");
            if (result.GetResult(jsonSchema) is not null && result.GetResult(grammar) is not null) result.AddError("Give at most one of --json-schema or --grammar.");
            if (result.GetResult(images) is not null && hasIds) result.AddError("--image goes with --prompt, not --ids.");
        });
        command.SetAction((parse, cancel) => ModelArguments.Guard(async () =>
        {
            var options = GenerationArguments.Read(parse) with { Grammar = Constraint(parse.GetValue(jsonSchema), parse.GetValue(grammar)) };
            options.Sampling.Validate();
            int[]? promptIds = parse.GetValue(ids) is { } idText ? ModelArguments.ParseIds(idText) : null;
            using var model = ModelArguments.Load(parse);
            if (parse.GetValue(images) is { Length: > 0 } imageFiles)
                return await RunWithImages(model, imageFiles, parse.GetValue(prompt)!, parse.GetValue(chat), options, parse.GetValue(json), cancel);
            if (promptIds is null)
            {
                string text = parse.GetValue(prompt)!;
                promptIds = parse.GetValue(chat)
                    ? model.Tokenizer.Encode(model.ChatTemplate.Format([new ChatMessage("user", text)], addGenerationPrompt: true), parseSpecial: true)
                    : model.Tokenizer.Encode(text, addSpecialTokens: true);
            }
            int context = options.ContextLength ?? Math.Min(model.Network.MaxContextLength, promptIds.Length + options.MaxTokens);
            KvCacheBudget.Check(model.Info, context, contextName: options.ContextLength is null ? "the context (prompt + --max-tokens)" : "--ctx");
            options = options with { ContextLength = context };

            await Print(model.Generator.GenerateAsync(promptIds, options, cancel), parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    /// <summary>Phi-3-vision: the images are decoded (limits checked from their headers), preprocessed and encoded,
    /// the prompt with its image tags expanded is evaluated in a session, and generation continues from it.</summary>
    static async Task<int> RunWithImages(LanguageModel model, FileInfo[] files, string text, bool chat, GenerationOptions options,
        bool json, CancellationToken cancel)
    {
        var vision = new Phi3VisionModel(model);
        var decoded = files.Select(f => ImageDecoder.Decode(f.FullName)).ToArray();
        if (!text.Contains("<|image_"))
            text = string.Concat(Enumerable.Range(1, files.Length).Select(n => $"<|image_{n}|>\n")) + text;
        if (chat) text = model.ChatTemplate.Format([new ChatMessage("user", text)], addGenerationPrompt: true);
        var prompt = vision.Prepare(text, decoded);
        int context = options.ContextLength ?? Math.Min(model.Network.MaxContextLength, prompt.Ids.Length + options.MaxTokens);
        KvCacheBudget.Check(model.Info, context, contextName: options.ContextLength is null ? "the context (prompt + --max-tokens)" : "--ctx");
        if (prompt.Ids.Length >= context)
            throw new ArgumentException($"The prompt with its images takes {prompt.Ids.Length} tokens; the context holds {context}.");
        using var session = model.Network.CreateSession(context);
        vision.Append(session, prompt, new float[model.Network.VocabSize]);
        await Print(model.Generator.GenerateAsync(session, prompt.Ids, options, cancel), json);
        return 0;
    }

    static async Task Print(IAsyncEnumerable<GeneratedToken> tokens, bool json)
    {
        var generated = new List<int>();
        var output = new System.Text.StringBuilder();
        await foreach (var token in tokens)
        {
            generated.Add(token.Id);
            output.Append(token.Text);
            if (!json) Console.Write(token.Text);
        }
        if (!json) Console.WriteLine();
        else Console.WriteLine(JsonSerializer.Serialize(new { ids = generated, text = output.ToString() }));
    }

    /// <summary>The grammar of --json-schema or --grammar; a file the compiler refuses is one error line naming it.</summary>
    static Grammar? Constraint(FileInfo? schemaFile, FileInfo? grammarFile)
    {
        var file = schemaFile ?? grammarFile;
        if (file is null) return null;
        string text = File.ReadAllText(file.FullName);
        try
        {
            return schemaFile is not null ? JsonSchemaGrammar.FromSchema(text) : Grammar.Parse(text);
        }
        catch (Exception e) when (e is JsonSchemaException or GrammarException or JsonException)
        {
            throw new FormatException($"{(schemaFile is not null ? "--json-schema" : "--grammar")} {file.Name}: {e.Message}");
        }
    }
}
