namespace PhiSharp.Tokenizers.Templates;

/// <summary>A node of a parsed template; <see cref="At"/> is its offset in the preprocessed text, for error positions.</summary>
internal abstract record Node(int At);

// Statements
internal sealed record TextNode(string Text, int At) : Node(At);
internal sealed record OutputNode(Node Expression, int At) : Node(At);
internal sealed record CommentNode(int At) : Node(At);
internal sealed record IfNode(Node Test, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, int At) : Node(At);
internal sealed record ForNode(Node Target, Node Iterable, Node? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, int At) : Node(At);
internal sealed record SetNode(Node Target, Node? Value, IReadOnlyList<Node> Body, int At) : Node(At);
internal sealed record MacroNode(string Name, IReadOnlyList<Node> Parameters, IReadOnlyList<Node> Body, int At) : Node(At);
internal sealed record CallBlockNode(CallNode Call, IReadOnlyList<Node> CallerParameters, IReadOnlyList<Node> Body, int At) : Node(At);
internal sealed record FilterBlockNode(Node Filter, IReadOnlyList<Node> Body, int At) : Node(At);
internal sealed record BreakNode(int At) : Node(At);
internal sealed record ContinueNode(int At) : Node(At);

// Expressions
internal sealed record NameNode(string Name, int At) : Node(At);
internal sealed record LiteralNode(TemplateValue Value, int At) : Node(At);
internal sealed record ListNode(IReadOnlyList<Node> Items, bool IsTuple, int At) : Node(At);
internal sealed record DictNode(IReadOnlyList<(Node Key, Node Value)> Entries, int At) : Node(At);
internal sealed record MemberNode(Node Target, Node Key, bool Computed, int At) : Node(At);
internal sealed record SliceNode(Node? Start, Node? Stop, Node? Step, int At) : Node(At);
internal sealed record CallNode(Node Callee, IReadOnlyList<Node> Arguments, int At) : Node(At);
internal sealed record KeywordArgumentNode(string Name, Node Value, int At) : Node(At);
internal sealed record BinaryNode(string Operator, Node Left, Node Right, int At) : Node(At);
internal sealed record UnaryNode(string Operator, Node Operand, int At) : Node(At);
/// <summary><c>operand | filter</c> or <c>operand | filter(args)</c>: <see cref="Filter"/> is a name or a call of one.</summary>
internal sealed record FilterNode(Node Operand, Node Filter, int At) : Node(At);
internal sealed record TestNode(Node Operand, bool Negated, string Test, int At) : Node(At);
internal sealed record ConditionalNode(Node Test, Node WhenTrue, Node WhenFalse, int At) : Node(At);
/// <summary><c>value if test</c> without else: undefined when the test fails (also a for loop's filter).</summary>
internal sealed record SelectNode(Node Value, Node Test, int At) : Node(At);
