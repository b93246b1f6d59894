"""The tools of the hello server.

Edit this file while the server runs under mcpmon: save, and mcpmon
restarts the server and tells the client that the tool list changed.

A tool is a plain function with the @tool decorator: a description for
the model and the type of each argument. What it returns is sent back to
the client as text; an exception becomes an error result.
"""

TOOLS = {}


def tool(description, **arguments):
    """Register a function as a tool. arguments: name -> JSON type
    ("string", "number", "integer", "boolean"); all are required."""

    def register(fn):
        TOOLS[fn.__name__] = {
            "function": fn,
            "description": description,
            "inputSchema": {
                "type": "object",
                "properties": {name: {"type": kind}
                               for name, kind in arguments.items()},
                "required": list(arguments),
            },
        }
        return fn

    return register


@tool("Say hello to someone", name="string")
def hello(name):
    return "Hello, %s!" % name


@tool("Add two numbers", a="number", b="number")
def add(a, b):
    return str(a + b)
