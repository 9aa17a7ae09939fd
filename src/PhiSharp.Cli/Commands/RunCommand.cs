using System.CommandLine;
using System.Text.Json;
using PhiSharp.Generation.Constraints;
using PhiSharp.Models;
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
        command.Validators.Add(result =>
        {
            bool hasPrompt = result.GetResult(prompt) is not null, hasIds = result.GetResult(ids) is not null;
            if (hasPrompt == hasIds) result.AddError("Give exactly one of --prompt or --ids.");
            if (hasIds && result.GetResult(chat) is not null) result.AddError("--chat wraps text; use it with --prompt, not --ids.");
            if (result.GetResult(jsonSchema) is not null && result.GetResult(grammar) is not null) result.AddError("Give at most one of --json-schema or --grammar.");
        });
        command.SetAction((parse, cancel) => ModelArguments.Guard(async () =>
        {
            var options = GenerationArguments.Read(parse) with { Grammar = Constraint(parse.GetValue(jsonSchema), parse.GetValue(grammar)) };
            options.Sampling.Validate();
            int[]? promptIds = parse.GetValue(ids) is { } idText ? ModelArguments.ParseIds(idText) : null;
            using var model = ModelArguments.Load(parse);
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

            var generated = new List<int>();
            var output = new System.Text.StringBuilder();
            bool stream = !parse.GetValue(json);
            await foreach (var token in model.Generator.GenerateAsync(promptIds, options, cancel))
            {
                generated.Add(token.Id);
                output.Append(token.Text);
                if (stream) Console.Write(token.Text);
            }
            if (stream) Console.WriteLine();
            else Console.WriteLine(JsonSerializer.Serialize(new { ids = generated, text = output.ToString() }));
            return 0;
        }));
        return command;
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
