#!/usr/bin/env python3
# Independent reference for the sweep: a full AC Newton-Raphson power flow on the bus admittance
# matrix, in plain Python. Usage: newton_raphson_reference.py case.m [...]
# PV buses are held as PQ at their scheduled Q, as the sweep does.
import re, sys, cmath, math
def table(text, name):
    m = re.search(r'mpc\.%s\s*=\s*\[(.*?)\];' % name, text, re.S)
    rows=[]
    for line in m.group(1).split('\n'):
        line=line.split('%')[0]
        for part in line.split(';'):
            vals=part.split()
            if vals: rows.append([float(v.replace('Inf','inf')) for v in vals])
    return rows
def load(path):
    """Reads the tables and applies the unit conversions MATPOWER distribution cases write."""
    t=open(path).read()
    base=float(re.search(r'mpc\.baseMVA\s*=\s*([\d.]+)',t).group(1))
    bus=table(t,'bus'); gen=table(t,'gen'); br=table(t,'branch')
    if 'mpc.branch(:, [BR_R BR_X]) = mpc.branch(:, [BR_R BR_X]) / (Vbase^2 / Sbase);' in t:
        vb=bus[0][9]*1e3; sb=base*1e6
        for b in br: b[2]/= vb*vb/sb; b[3]/=vb*vb/sb
    if 'mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;' in t:
        for b in bus: b[2]/=1e3; b[3]/=1e3
    if 'pf = 0.85' in t:
        for b in bus: b[3]=b[2]*math.sin(math.acos(.85)); b[2]*=.85
    return base,bus,gen,br
def solve(path):
    base,bus,gen,br=load(path)
    n=len(bus); idx={int(b[0]):i for i,b in enumerate(bus)}
    Y=[[0j]*n for _ in range(n)]
    for b in br:
        if b[10]<=0: continue
        f=idx[int(b[0])]; t=idx[int(b[1])]
        ys=1/complex(b[2],b[3]); bc=b[4]
        tap=b[8] if b[8]!=0 else 1.0; tap=cmath.rect(tap, b[9]*math.pi/180)
        Y[f][f]+= (ys+1j*bc/2)/(tap*tap.conjugate()); Y[t][t]+= ys+1j*bc/2
        Y[f][t]+= -ys/tap.conjugate(); Y[t][f]+= -ys/tap
    for i,b in enumerate(bus): Y[i][i]+=complex(b[4],b[5])/base
    S=[complex(-b[2],-b[3])/base for b in bus]
    V=[complex(b[7],0) for b in bus]
    slack=[i for i,b in enumerate(bus) if b[1]==3]
    for g in gen:
        if g[7]<=0: continue
        i=idx[int(g[0])]
        if i in slack: V[i]=cmath.rect(g[5], bus[i][8]*math.pi/180)
        else: S[i]+=complex(g[1],g[2])/base
    pq=[i for i in range(n) if i not in slack and bus[i][1]!=4]
    for it in range(30):
        I=[sum(Y[i][k]*V[k] for k in range(n)) for i in range(n)]
        mis=[V[i]*I[i].conjugate()-S[i] for i in range(n)]
        F=[mis[i].real for i in pq]+[mis[i].imag for i in pq]
        if max(abs(x) for x in F)<1e-12: break
        # numeric-free analytic jacobian via dS/dVa, dS/dVm
        m=len(pq); J=[[0.0]*(2*m) for _ in range(2*m)]
        for a,i in enumerate(pq):
            for c,k in enumerate(pq):
                if Y[i][k]==0 and i!=k: continue
                if i==k:
                    dSa=1j*V[i]*(I[i].conjugate()-(Y[i][i]*V[i]).conjugate())
                    dSm=V[i]/abs(V[i])*(I[i].conjugate())+V[i]*(Y[i][i]*V[i]/abs(V[i])).conjugate()
                else:
                    dSa=1j*V[i]*(-Y[i][k]*V[k]).conjugate()
                    dSm=V[i]*(Y[i][k]*V[k]/abs(V[k])).conjugate()
                J[a][c]=dSa.real; J[a][m+c]=dSm.real; J[m+a][c]=dSa.imag; J[m+a][m+c]=dSm.imag
        # solve J dx = -F
        A=[J[r]+[-F[r]] for r in range(2*m)]
        for col in range(2*m):
            p=max(range(col,2*m),key=lambda r:abs(A[r][col])); A[col],A[p]=A[p],A[col]
            for r in range(col+1,2*m):
                f=A[r][col]/A[col][col]
                if f:
                    Ar=A[r]; Ac=A[col]
                    for c in range(col,2*m+1): Ar[c]-=f*Ac[c]
        x=[0.0]*(2*m)
        for r in range(2*m-1,-1,-1):
            x[r]=(A[r][2*m]-sum(A[r][c]*x[c] for c in range(r+1,2*m)))/A[r][r]
        for a,i in enumerate(pq):
            V[i]=cmath.rect(abs(V[i])+x[m+a], cmath.phase(V[i])+x[a])
    loss=0
    for b in br:
        if b[10]<=0: continue
        f=idx[int(b[0])]; t=idx[int(b[1])]
        tap=b[8] if b[8]!=0 else 1.0; tap=cmath.rect(tap, b[9]*math.pi/180)
        Is=(V[f]/tap-V[t])/complex(b[2],b[3]); loss+=abs(Is)**2*complex(b[2],b[3])
    vm=[(abs(V[i]),int(bus[i][0])) for i in range(n) if bus[i][1]!=4]
    print(f"{path.split('/')[-1]}: losses {loss.real*base*1e3:.3f} kW {loss.imag*base*1e3:.3f} kVAr vmin {min(vm)[0]:.5f} @ {min(vm)[1]} iters {it}")
for p in sys.argv[1:]: solve(p)
