"""`bluegreen completion bash|zsh|fish`: the shell's completion script.

Click already completes every command, option and choice (the script calls
`bluegreen` back with `_BLUEGREEN_COMPLETE` set and the words typed so far);
what it lacks is a way to get the script without knowing that variable's
name. This command prints click's own script for the shell, so installing
completion is one line in the shell's startup file (README, "Shell
completion").
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "bluegreen"
COMPLETE_VAR = "_BLUEGREEN_COMPLETE"


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash: eval "$(bluegreen completion bash)"   in ~/.bashrc
    zsh:  eval "$(bluegreen completion zsh)"    in ~/.zshrc
    fish: bluegreen completion fish > ~/.config/fish/completions/bluegreen.fish
    """
    complete = get_completion_class(shell)
    assert complete is not None, f"click knows {shell}"  # SHELLS are click's built-in ones
    root = ctx.find_root().command
    click.echo(complete(root, {}, PROG_NAME, COMPLETE_VAR).source())
