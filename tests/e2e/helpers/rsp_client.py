# A bare client of gdb's remote protocol for the gdb tests, where gdb
# itself will not do: raw malformed bytes, and Ctrl-C while running.
import socket


def frame(body):
    return b'$' + body + b'#' + b'%02x' % (sum(body) % 256)


class Client:
    def __init__(self, port, timeout):
        self.s = socket.create_connection(('127.0.0.1', int(port)), timeout=timeout)
        self.buf = b''

    def send_raw(self, data):
        self.s.sendall(data)

    def send(self, body):
        self.s.sendall(frame(body))

    def reply(self):
        """The next packet's body (acks and other bytes between are skipped)."""
        while self.buf.find(b'$') < 0 or b'#' not in self.buf[self.buf.find(b'$'):]:
            self.buf += self.s.recv(65536)
        start = self.buf.find(b'$')
        end = self.buf.find(b'#', start)
        body, self.buf = self.buf[start + 1:end], self.buf[end + 3:]
        return body

    def monitor(self, command):
        """A monitor command's output, up to its OK."""
        self.send(b'qRcmd,' + command.encode().hex().encode())
        out = b''
        while True:
            r = self.reply()
            if r == b'OK':
                return out.decode()
            if r.startswith(b'O'):
                out += bytes.fromhex(r[1:].decode())

    def close(self):
        self.s.close()
