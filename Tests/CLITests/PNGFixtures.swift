import Foundation

/// Base64 fixtures for the DEFLATE/PNG decoder's own tests, written once by Python's zlib (the
/// reference implementation), each a different way of encoding: a stored block, fixed Huffman
/// codes, dynamic codes with back-references, Huffman-only, and two PNGs (RGB and RGBA, 8-bit)
/// whose rows use every filter type in turn (row y has filter y % 5). The expected bytes and
/// pixels are formulas in `PNGDecoderTests`.
enum PNGFixtures {
    static let stored = """
        eAEBCAf3+AAHDhUcIyoxOD9GTVRcY2pxeH+GjZSboqmwuL/GzdTb4unw9wMKERkgJy41PENKUVhfZm11fIOKkZifpq20u8LJ\
        0djf5u30AAcOFRwjKjI5QEdOVVxjanF4f4aOlZyjqrG4v8bN1Nvi6vH4BAsSGSAnLjU8Q0tSWWBnbnV8g4qRmJ+nrrW8w8rR\
        2N/m7fQACA8WHSQrMjlAR05VXGRrcnmAh46VnKOqsbjAx87V3OPq8fgECxIZISgvNj1ES1JZYGdudX2Ei5KZoKeutbzDytHZ\
        4Ofu9QEIDxYdJCsyOkFIT1ZdZGtyeYCHjpadpKuyucDHztXc4+ry+QUMExohKC82PURLU1phaG92fYSLkpmgp6+2vcTL0tng\
        5+71AQgQFx4lLDM6QUhPVl1kbHN6gYiPlp2kq7K5wMjP1t3k6/L5BQwTGiEpMDc+RUxTWmFob3Z9hYyTmqGor7a9xMvS2eHo\
        7/YCCRAXHiUsMzpCSVBXXmVsc3qBiI+WnqWss7rByM/W3eTr8voGDRQbIikwNz5FTFNbYmlwd36FjJOaoaivt77FzNPa4ejv\
        9gIJEBgfJi00O0JJUFdeZWx0e4KJkJeepayzusHI0Nfe5ezz+gYNFBsiKTE4P0ZNVFtiaXB3foWNlJuiqbC3vsXM09rh6fD3\
        AwoRGB8mLTQ7QkpRWF9mbXR7gomQl56mrbS7wsnQ197l7PP6Bw4VHCMqMTg/Rk1UW2NqcXh/ho2Um6KpsLe/xs3U2+Lp8PcD\
        ChEYICcuNTxDSlFYX2ZtdHyDipGYn6attLvCydDY3+bt9AAHDhUcIyoxOUBHTlVcY2pxeH+GjZWco6qxuL/GzdTb4unx+AQL\
        EhkgJy41PENKUllgZ251fIOKkZifpq61vMPK0djf5u30AAcPFh0kKzI5QEdOVVxja3J5gIeOlZyjqrG4v8fO1dzj6vH4BAsS\
        GSAoLzY9REtSWWBnbnV8hIuSmaCnrrW8w8rR2ODn7vUBCA8WHSQrMjlBSE9WXWRrcnmAh46VnaSrsrnAx87V3OPq8fkFDBMa\
        ISgvNj1ES1JaYWhvdn2Ei5KZoKeutr3Ey9LZ4Ofu9QEIDxceJSwzOkFIT1ZdZGtzeoGIj5adpKuyucDHz9bd5Ovy+QUMExoh\
        KDA3PkVMU1phaG92fYSMk5qhqK+2vcTL0tng6O/2AgkQFx4lLDM6QUlQV15lbHN6gYiPlp2lrLO6wcjP1t3k6/L5Bg0UGyIp\
        MDc+RUxTWmJpcHd+hYyTmqGor7a+xczT2uHo7/YCCRAXHyYtNDtCSVBXXmVsc3uCiZCXnqWss7rByM/X3uXs8/oGDRQbIikw\
        OD9GTVRbYmlwd36FjJSboqmwt77FzNPa4ejw9wMKERgfJi00O0JJUVhfZm10e4KJkJeepa20u8LJ0Nfe5ezz+gYOFRwjKjE4\
        P0ZNVFtianF4f4aNlJuiqbC3vsbN1Nvi6fD3AwoRGB8nLjU8Q0pRWF9mbXR7g4qRmJ+mrbS7wsnQ19/m7fQABw4VHCMqMThA\
        R05VXGNqcXh/ho2UnKOqsbi/xs3U2+Lp8PgECxIZICcuNTxDSlFZYGdudXyDipGYn6attbzDympvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMgcmVwb3J0IGpvYnMg\
        cmVwb3J0IGtUKro=
        """
    static let fixed = """
        eAFjYOcTlVHWMrSwd/MNiUnOKqyob+udMnvRyg079h87e+X2o5cfvjNzCUoqqOuZ2jh7BUbEp+WW1jR3TZwxf9naLbsPnbx4\
        4/6zt18YIMYYWTq4+4VCjembOmfxqo1QY159/MHCLQQ1xjsoMiE9D2rM8nVb9xw+BTWGg19MVkUbakxKdlFlQzvUmAPHz129\
        8xhqjKKGvpmtC9SY2pbuSTMXQI25+eD5u6+MUGOsHD38w2Khxkybu2T1pp1QYz79ZOURloIaExyVmJFfBjVm/ba9R05fghoj\
        IC6nqmMMNSanuKqxox9qzInz1+4+eQ01RtPA3M7VB2pMa8/kWQtXQI15+OL9NyZOqDFOngHhcalQY+YtXbN510GoMb/YeEWk\
        laDGRCdlFpTXQY3Zvu/omcu3oMZIyKvpmlhDjSmpbuqcMB1qzIXr956++Qw1BhKZUGMgkQk1BhKZUGMgkQk1BhKZUGOQ00Q0\
        cprYjpwmJJDTRAlymriAnCYMkdNEL3KaeImcJryQ08Qy5DTBjpwmkpHTxH7kNKGAnCZqkNPEDeQ0YYmcJqYip4mPyGkiCDlN\
        rENOE/zIaSIbOU0cR04TGshpogU5TTxAThOOyGliLnKa+ImcJqKQ08Q25DQhjpwmipHTxHnkNGGAnCZ6kNPEC+Q04YmcJpYi\
        pwk25DSRhJwm9iGnCXnkNFGNnCauI6cJC+Q0MQU5TXxAThOByGliLSgys/KTihWKUgvyi0oURtmjbGqxAWtUKro=
        """
    static let dynamic = """
        eNrt0udfzAEAx/GsspJdiI6Usxuo7Mw6FZV5hVxKSi53RygysstoWHWZJaNoKEKRcVbTKITIKLTsPPLy+n0ffP8AD3v2ffR5\
        8n1r6bTrYmg8wNx63BTHme6evitWh2wNj4o5fvrCpZw7eY9fvK2q+9WsdYduon5Dho+eKHGeu9Dbf2Xw5p37Dh5JSEq/knuv\
        qPT1h+rvWkLGwmb8VKdZyOyOjj1xJgWZT/W/m7fpiMw0l3keS5Yjcyr54tWb95Fpqde1Z9+ByCz2U6zZsA2Z65r8J2UVyPQW\
        Dx0xZhIy60J3RRw6isyz8o81P5ogM9LWbvrs+cjsV588m3oZma8NLdp26o6Mq3SRj3wVMuczrt16UIxMe/1eJoMskVmmXLtx\
        +x5k7hY8ffnuMzL9zazGTnZAZktY5OFjici8qaz92bQVMhPsZ8xZ4IVMXPy5tKwbyPzR1u3cow8ybrKlAYHrkcnMvv3w0XNk\
        DIxMBw8bhYwqaNOOvQeQKSx59f7LN2SEM5ERzkRGOBMZ4UxkhDORYRNubCKTTRiwCRWbKGQT5mwinE1UsQkJm0hgEzpswpNN\
        5LAJEZsIZhOlbMKGTUSziXo24cImktmEHpvwYxMaNiFmE6FsopxN2LIJNZtoYBNSNpHBJvTZhJJNFLAJMzYRxiYq2YQ9m4hn\
        E9psQsYmstmEEZsIYhMlbMKaTUSxiTo24cwmkv6d6SuXKUUKrwC5QiVq3I37f+2/a1Qqug==
        """
    static let huffmanOnly = """
        eAEFwWdACEAUAODMCCmEiF5CAxGiiJAZIhkhyuWMM9717iKKECGFKLIKEUUlM6sIZSUjQmaIzEqIX77PwNDYzMLa3tHZbfjY\
        ib4BIjA4LCI6ds/BlBNZOXkFRSWl5RV/6hiZmoONg5Oru4eXj9+cRUGh4ZEx8YnJaacv5t568PR12bdqA0NjMwtr+54ug0Z4\
        TvINEIHBYRGb4/YmpWZm5eQVFJWUfq6sqduomTnYODi5uo+eMNV/7uKg0PDImPjEI+lnLl27/eDp67Jv1QYNmrZs17FLT5dB\
        Izwn+c5eQMtWrd8ctzcpNTPrSv69xy/efa6sqduombmVbfc+A4aOnjDVf+7ioBVrN23btf9I+plL124/ePbm4/dftRo0bdmu\
        Y5ee/QaPHDd5xuwFtGzV+s079h06dvL8lfx7j1+8+1z1t17j5m2sbLv3GTB0tPe0WfNwyYq1m7bt2n8k4+zl63cePnvz8fuv\
        Wg1MWrXv1LVXv8Ejx02eMXuhWr56w5Yd+w4dO3n+ys3CJy/ff6n6W69x8zZWdj36Dhw2xnvarHm4ZMW6qO27DxzNOHv5+p2H\
        z95++vG7dkOTVu07de3Vb8io8VNm8oVq+eoNW3YkHD5+6sLVm4VPXr7/UvWvfpMWbTvY9eg7cNgY7+lsvly6cl3U9t0Hjmac\
        y75x99Hzt59+/K7d0KS1ZeduvfsPGTV+yky+UIes2bh1Z8Lh46cuXL15v/jVh68//9Vv0qJtBztHZ7fhYydOZ/Pl0pXromP3\
        HEw5cS77xt1Hz9+WV/ypY2Ta2rJzt979h3h4+fjNWaRD1mzcujMhOe30xdxb94tfffj685+hsZmFtb2js9vwsROnB4jA4LCI\
        6Ng9B1NOnMvJKygqKS2v+FPHyLQ12Dg4ubp7ePn4zVmkQ8MjY+ITk9NOX8y9df/p67Jv1QaGxmYW1vaOLoNGeE7yDRCBwWER\
        0XF7k1Izs3LyCopKSssra+o2amYONg5Oru4eE6b6z10cFBoeGROfmJx+5tK12w+evi77Vm1g2LRlu45deroMGuE5yTdgAS1b\
        tX5z3N6k1MysnPx7j1+8+1xZU7dRM3Ow7d5nwNDRE6b6z10cFLp207Zd+4+kn7l07faDp28+fv9Vq0HTlu06dunpMnjkuMkz\
        Zi+gZavWb47bd+jYyfNX8u89fvHuc+Xfeo2bt7Gy7d5nwNDRE6bNmodLVqzdtG3X/iPpZy9fv/Pw2ZuP33/VatC0VftOXXv1\
        Gzxy3OQZsxeo5as3bNmx79Cxk+ev5Bc+efn+S9Xfeo2bt7Gy7dF34LAx3tNmzcMlK9ZGbd994GjG2cvX7zx89ubTj9+1G5q0\
        at+pa69+g0eNnzKTL1TLV2/YsmPf4eOnLly9Wfjk5fsvVX/rN2nRtoNdj74Dh43xnsbmy6Ur10Vt333gaMbZ7Bt3Hz1/++nH\
        79oNTVpZdu7Wu/+QUeOnzOQLVciajVt3Jhw+furC1ZuFxa8+fP35r36TFm072PVwdhs+duJ0Nl8uXbkuKnbPwZQT57Jv3H30\
        /O2nij91jExbW3bu1rv/kFFePn5zFumQNRu37kw4nHb6Yu6t+8WvPnz9+a++sZmFtb2js9vwsROnMxEYHBYRHbvnYMqJc9l5\
        BUUlpeUVf+oYmba2tHFwcnX38PLxm7NIh4RHxsQnJqedvph7637x67Jv1QaGxmYW1vaOzoNGeE7yDRCBwWER0bF7k1Izs3Ly\
        CopKSssrauo2amYONg5Oru4eXlP95y4OCg2PjIlPTE47c+nabYFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEg\
        U0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWS\
        BoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQ\
        l0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEg\
        U0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWSBoFMAXGJpEEgU0BcImkQyBQQl0gaBDIFxCWS\
        BoFMAXGJpEEgU0BcImn4D2tUKro=
        """
    static let pngRGB = """
        iVBORw0KGgoAAAANSUhEUgAAAAcAAAAKCAIAAAD3rtNaAAAAhUlEQVR42mNgYGBQZWX04mLJ5+ecIiKwU1LynpwKI3c0I1BU\
        lZVZlZVVlZVdlZVTlZWbCSiKiZjFtjFJbGCU2AAkmSU2sEhsYJXYwMYCkmRFRwzmx1ljzrA1XuRcdo3v9G3RDw/kRJ9qMjop\
        sRFtm9EsVgkDRgkDJgkDZgkDlhkGQC4O2wDg5CC6Res08wAAAABJRU5ErkJggg==
        """
    static let pngRGBA = """
        iVBORw0KGgoAAAANSUhEUgAAAAkAAAAGCAYAAAARx7TFAAAAlUlEQVR42mNgAAJVVkZmLy4Wtnx+Ts4pIgI8OyUl+e/JqQgx\
        KxuKamg4SDByRzMyghSpsjIDMSsQswMxJxBzAzEvEPMzM4EUEcLMYtuYmCQ2MAIxiGYGYhYgZgViNqYZG9iBNAcTC1g1K3as\
        CqUZzI+zssacYeNovMjJvewaH9/p26KCHx7IiYg+1RS3emUmFf/eVRYAPgshIUA2Cd8AAAAASUVORK5CYII=
        """

    static func bytes(_ base64: String) -> [UInt8] {
        [UInt8](Data(base64Encoded: base64)!)
    }
}
