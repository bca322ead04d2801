"""Where a TensorBoard process tree actually listens.

The host the manager passed is what TensorBoard was asked to bind; a plugin,
an extra flag for its Rust data server (``--extra_data_server_flags``) or a
wrapper interpreter can bind elsewhere. These helpers read the listening TCP
sockets of the server and all its descendants from the operating system.
"""

import ipaddress

import psutil

from spyder_tblogs.tensorboard.process import is_loopback


def format_address(ip, port):
    """Return ``ip:port`` (``[ip]:port`` for IPv6)."""
    if ":" in ip:
        return f"[{ip}]:{port}"
    return f"{ip}:{port}"


def _connections(process):
    # psutil >= 6 names it net_connections; older releases connections.
    method = getattr(process, "net_connections", None) or process.connections
    # TCP only: listening is a TCP state (UDP tables would cost a read).
    return method(kind="tcp")


def listen_addresses(process):
    """Return the ``ip:port`` addresses the tree of ``process`` listens on.

    Parameters
    ----------
    process : psutil.Process
        The root of the tree (TensorBoard's Python process).

    Returns
    -------
    tuple of str or None
        None if the operating system would not tell (access denied, e.g.
        for another user's process); processes that exit meanwhile are
        skipped.
    """
    try:
        tree = [process] + process.children(recursive=True)
    except psutil.NoSuchProcess:
        return ()
    except (psutil.Error, OSError):
        return None
    found = set()
    for member in tree:
        try:
            connections = _connections(member)
        except psutil.NoSuchProcess:
            continue
        except (psutil.Error, OSError):
            return None
        for connection in connections:
            if connection.status == psutil.CONN_LISTEN and connection.laddr:
                found.add((connection.laddr.ip, connection.laddr.port))
    return tuple(format_address(ip, port) for ip, port in sorted(found))


def host_of(address):
    """Return the IP part of an address from :func:`listen_addresses`."""
    host = address.rsplit(":", 1)[0]
    return host[1:-1] if host.startswith("[") else host


def exposed_addresses(addresses):
    """Return the addresses of ``addresses`` reachable from other machines.

    An IPv4-mapped IPv6 loopback (``::ffff:127.0.0.1``) counts as loopback.
    """
    exposed = []
    for address in addresses or ():
        host = host_of(address)
        try:
            mapped = ipaddress.ip_address(host.split("%", 1)[0])
            mapped = getattr(mapped, "ipv4_mapped", None) or mapped
            loopback = mapped.is_loopback
        except ValueError:
            loopback = is_loopback(host)
        if not loopback:
            exposed.append(address)
    return exposed


def exposure_problem(instance):
    """Return why ``instance`` must be stopped ('' if it need not): it was
    asked to bind loopback, and its tree listens elsewhere as well."""
    exposed = exposed_addresses(instance.listening)
    if not exposed or not is_loopback(instance.host):
        return ""
    return (f"TensorBoard for {instance.logdir} listened on "
            f"{', '.join(exposed)}, not only on {instance.host}, so it was "
            f"stopped: an extra argument (such as --extra_data_server_flags)"
            f" or a plugin made it reachable from the network; remove it, or "
            f"set the host to opt in")
