using PhiSharp.Generation.Constraints;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>What the schema compiler refuses: each error names the keyword and where it is, never a silent ignore.</summary>
public sealed class JsonSchemaRefusalTests
{
    [Theory]
    [InlineData("""{"type":"string","pattern":"a+"}""", "pattern", "#")]
    [InlineData("""{"type":"object","properties":{"when":{"type":"string","format":"date"}}}""", "format", "#/properties/when")]
    [InlineData("""{"type":"array","items":{"type":"integer","multipleOf":3}}""", "multipleOf", "#/items")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "allOf", "#")]
    [InlineData("""{"type":"array","uniqueItems":true}""", "uniqueItems", "#")]
    [InlineData("""{"type":"object","minProperties":1}""", "minProperties", "#")]
    [InlineData("""{"type":"array","items":[{"type":"string"}]}""", "items", "#/items")]
    [InlineData("""{"$ref":"other.json#/x"}""", "$ref", "#")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "$ref", "#")]
    [InlineData("""{"anyOf":[{"type":"string"}],"minLength":2}""", "minLength", "#")]
    [InlineData("""{"oneOf":[{"type":"string"},{"type":"string","maxLength":3}]}""", "oneOf", "#/oneOf")]
    [InlineData("""{"oneOf":[{"type":"integer"},{"type":"number"}]}""", "oneOf", "#/oneOf")]
    [InlineData("""{"type":"number","minimum":0.2,"maximum":0.8}""", "minimum", "#")]
    [InlineData("""{"type":"integer","maximum":1e300}""", "maximum", "#")]
    [InlineData("""{"type":"object","required":["a"],"additionalProperties":false}""", "required", "#/required")]
    [InlineData("""{"type":"date"}""", "type", "#/type")]
    [InlineData("""{"type":"string","enum":[1,2]}""", "enum", "#")]
    [InlineData("""false""", "false", "#")]
    public void An_unsupported_or_unsatisfiable_schema_names_the_keyword_and_its_place(string schema, string keyword, string path)
    {
        var e = Assert.Throws<JsonSchemaException>(() => JsonSchemaGrammar.FromSchema(schema));
        Assert.Equal(keyword, e.Keyword);
        Assert.Equal(path, e.Path);
        Assert.Contains($"'{keyword}'", e.Message);
    }

    [Theory]
    [InlineData("""{"oneOf":[{"const":"a"},{"enum":["b","c"]}]}""")]
    [InlineData("""{"oneOf":[{"type":"string"},{"type":["integer","null"]}]}""")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"required":["a","b"]}""")]
    [InlineData("""{"title":"t","description":"d","$comment":"c","type":"boolean","default":true,"examples":[false]}""")]
    public void Disjoint_oneOf_extra_required_names_and_annotations_are_accepted(string schema) =>
        Assert.NotNull(JsonSchemaGrammar.FromSchema(schema));
}
